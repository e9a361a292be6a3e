fn main() {
    #[cfg(target_arch = "wasm32")]
    {
        // Before the first render: the views wait for the registry's address.
        tagdeck::ui::connect::start_reading_config();
        leptos::mount::mount_to_body(tagdeck::App);
    }
}
