//! The sign-in dialog, opened from the top bar or from a failure that needs a login.

use leptos::prelude::*;

use super::use_sign_in;
use crate::ui::change_dialog::Modal;
use crate::ui::on_demand::LazySignInForm;

/// The sign-in form as a dialog, opened from the top bar or from a failure that
/// needs a login.
#[component]
pub fn SignInDialog(address: String) -> impl IntoView {
    let sign_in = use_sign_in()?;
    let address = StoredValue::new(address);
    Some(view! {
        <Show when=move || sign_in.dialog_open.get()>
            <Modal labelled_by="sign-in-heading" on_close=Callback::new(move |()| sign_in.close())>
                <LazySignInForm
                    address=address.get_value()
                    on_signed_in=Some(Callback::new(move |()| sign_in.close()))
                />
            </Modal>
        </Show>
    })
}
