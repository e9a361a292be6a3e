//! When the console's own code fails (a Rust panic): the WebAssembly module stops for
//! good, and every view stops answering. Rather than leave a page that looks alive
//! but ignores every click, the hook says so at the top of the page, with what to do,
//! and logs the panic for whoever reports it.

use std::sync::atomic::{AtomicBool, Ordering};

use wasm_bindgen::prelude::*;

use crate::wording;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = console, js_name = error)]
    fn console_error(text: &str);
}

/// Installs the hook; called once, before the first render.
pub fn report_crashes() {
    // One panel: later panics (tasks still queued when the module stopped) only log.
    static SHOWN: AtomicBool = AtomicBool::new(false);
    std::panic::set_hook(Box::new(|info| {
        let panic = info.to_string();
        console_error(&panic);
        if !SHOWN.swap(true, Ordering::Relaxed) {
            show(&panic);
        }
    }));
}

/// Puts the panel first in the page with plain DOM calls: the reactive system may be
/// what failed. Text only (`set_text_content`), never markup.
fn show(panic: &str) {
    let Some(document) = web_sys::window().and_then(|window| window.document()) else {
        return;
    };
    let Some(body) = document.body() else {
        return;
    };
    let element = |tag: &str, text: Option<&str>| {
        let element = document.create_element(tag).ok()?;
        element.set_text_content(text);
        Some(element)
    };
    let build = || -> Option<web_sys::Element> {
        let panel = element("div", None)?;
        panel.set_class_name("error-panel crash");
        panel.set_attribute("role", "alert").ok()?;
        let headline = element("strong", Some(wording::CRASHED_HEADLINE))?;
        headline.set_class_name("error-headline");
        let advice = element("p", Some(wording::CRASHED_ADVICE))?;
        advice.set_class_name("error-advice");
        let details = element("details", None)?;
        details.set_class_name("error-details");
        let summary = element("summary", Some("Technical details"))?;
        details.append_with_node_1(&summary).ok()?;
        let code = element("code", Some(panic))?;
        code.set_class_name("error-detail");
        details.append_with_node_1(&code).ok()?;
        for child in [&headline, &advice, &details] {
            panel.append_with_node_1(child).ok()?;
        }
        Some(panel)
    };
    if let Some(panel) = build() {
        let _ = body.prepend_with_node_1(&panel);
    }
}
