//! Which change dialog is open, and the host that shows it.

use leptos::prelude::*;

use super::modal::Modal;
use super::remove_form::RemoveForm;
use super::tag_form::TagForm;
use crate::oci::names::{Digest, Repository, Tag};
use crate::ui::browser;
use crate::ui::on_demand::LazyChangeForm;

/// What the user asked to change. `source` names the image as the user opened it
/// (its tag, or its short digest), for the dialog's words; the tag it was seen on, if
/// any, must still point at `digest` when the change starts.
#[derive(Clone, PartialEq, Eq)]
pub enum ChangeRequest {
    AddTag {
        repository: Repository,
        digest: Digest,
        source: String,
        seen_tag: Option<Tag>,
    },
    Copy {
        repository: Repository,
        digest: Digest,
        source: String,
        tag: Option<Tag>,
    },
    Remove {
        repository: Repository,
        tag: Tag,
        digest: Digest,
    },
}

/// The open dialog, if any; provided by the registry views. Remembers which control
/// opened it, so closing gives the keyboard focus back there.
#[derive(Clone, Copy)]
pub struct Dialog {
    request: RwSignal<Option<ChangeRequest>>,
    opener: StoredValue<Option<web_sys::HtmlElement>, LocalStorage>,
    /// The table row the opener was in: a removed tag takes its row away.
    opener_row: StoredValue<Option<String>, LocalStorage>,
}

impl Dialog {
    pub fn provide() -> Dialog {
        let dialog = Dialog {
            request: RwSignal::new(None),
            opener: StoredValue::new_local(None),
            opener_row: StoredValue::new_local(None),
        };
        provide_context(dialog);
        dialog
    }

    pub fn open(&self, request: ChangeRequest) {
        let opener = browser::focused_element();
        self.opener_row
            .set_value(opener.as_ref().and_then(browser::row_index_of));
        self.opener.set_value(opener);
        self.request.set(Some(request));
    }

    fn close(&self) {
        self.request.set(None);
        // The opener is gone when its row went with the tag: the focus goes to the
        // row that took its place, not back to the top of the page.
        match self.opener.get_value().filter(|o| o.is_connected()) {
            Some(opener) => {
                let _ = opener.focus();
            }
            None => {
                if let Some(row) = self.opener_row.get_value() {
                    browser::focus_row_near(&row);
                }
            }
        }
    }
}

pub fn use_dialog() -> Dialog {
    expect_context::<Dialog>()
}

#[component]
pub fn DialogHost(registry: String) -> impl IntoView {
    let dialog = use_dialog();
    let registry = StoredValue::new(registry);
    move || {
        dialog.request.get().map(|request| {
            let registry = registry.get_value();
            let title = match &request {
                ChangeRequest::AddTag {
                    repository, source, ..
                } => format!("Add tag to {repository}:{source}"),
                ChangeRequest::Copy {
                    repository, source, ..
                } => format!("Copy {repository}:{source} to another repository"),
                ChangeRequest::Remove {
                    repository, tag, ..
                } => format!("Remove tag {repository}:{tag}"),
            };
            let body = view! { <LazyChangeForm registry request /> };
            view! {
                <Modal labelled_by="dialog-title" on_close=Callback::new(move |()| dialog.close())>
                    <h2 id="dialog-title">{title}</h2>
                    {body}
                </Modal>
            }
        })
    }
}

/// The form of the dialog a request opens.
#[component]
pub fn ChangeForm(registry: String, request: ChangeRequest) -> impl IntoView {
    match request {
        ChangeRequest::AddTag {
            repository,
            digest,
            source,
            seen_tag,
        } => view! { <TagForm registry repository digest source seen_tag copy=false tag=None /> }
            .into_any(),
        ChangeRequest::Copy {
            repository,
            digest,
            source,
            tag,
        } => {
            let seen_tag = tag.clone();
            view! { <TagForm registry repository digest source seen_tag copy=true tag /> }
                .into_any()
        }
        ChangeRequest::Remove {
            repository,
            tag,
            digest,
        } => view! { <RemoveForm registry repository tag digest /> }.into_any(),
    }
}
