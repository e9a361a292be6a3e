fn main() {
    #[cfg(target_arch = "wasm32")]
    {
        // A failure of the console's own code is said on the page, not only in the
        // browser's console.
        tagdeck::ui::crash::report_crashes();
        // Before the first render: the views wait for the registry's address.
        tagdeck::ui::connect::start_reading_config();
        leptos::mount::mount_to_body(tagdeck::App);
    }
}
