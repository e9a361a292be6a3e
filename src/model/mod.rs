//! View models: what the screens show, computed without the DOM or the network
//! (sorting, grouping, routes, formatting), so it is tested natively.

pub mod catalog_tree;
pub mod format;
pub mod recently_used;
pub mod registry_address;
pub mod route;
pub mod sort;
pub mod summary_asks;
pub mod tag_table;
pub mod timestamp;
pub mod touched;
pub mod version_order;
