#![cfg(not(target_arch = "wasm32"))]
//! The UI's words (`tagdeck::wording`): every registry failure and every change
//! failure reads as a headline, a detail, advice and an outcome, none empty; the key
//! sentences the end-to-end tests and the README promise stay as they are.

use tagdeck::model::registry_address::normalize_registry_address;
use tagdeck::oci::auth::AuthRefusal;
use tagdeck::oci::bulk::{ItemFailure, ItemResult, KeptLost};
use tagdeck::oci::changes::{
    ChangeError, CopyReport, CopyStep, CopyWork, ImageUsers, ReadAgain, TagBefore, TagWrite,
    Written,
};
use tagdeck::oci::cleanup::{
    CleanupDefaults, CleanupRules, DeletesRefused, KeptBecause, NewestBy, NumberField, Others,
    PatternList, PlanNote, RulesError, SubjectFate, TagPattern, TagReason, UnusableDate,
};
use tagdeck::oci::error::{Attempt, ErrorEntry, MalformedReason, RegistryError};
use tagdeck::oci::find_digest::{DigestUse, FindProgress, Gap, ImagePart, Sought};
use tagdeck::oci::http::Method;
use tagdeck::oci::manifest::{DigestRefusal, Manifest, ManifestError};
use tagdeck::oci::media::MAX_MANIFEST_BYTES;
use tagdeck::oci::names::{ComponentRule, Digest, ImageReference, NameRule, Repository, Tag};
use tagdeck::oci::pagination::{next_page_url, resolve, LinkError, LinkFault};
use tagdeck::oci::recovery::RegistryNow;
use tagdeck::oci::referrers::{
    ApiSupport, FoundVia, Referrer, ReferrerKind, ReferrerList, ReferrerTagScheme, ReferrerWarning,
};
use tagdeck::oci::undo::{UndoAction, UndoFailed};
use tagdeck::wording::{self, Message, ResultLine, TagCount, TagListState};

fn attempt() -> Attempt {
    Attempt {
        method: Method::Get,
        url: "http://r/v2/app/manifests/1.0".into(),
    }
}

fn entries() -> Vec<ErrorEntry> {
    vec![ErrorEntry {
        code: "MANIFEST_UNKNOWN".into(),
        message: "manifest unknown".into(),
    }]
}

fn digest(byte: u8) -> Digest {
    Digest::sha256_of(&[byte])
}

/// One of each kind of registry failure.
fn every_registry_error() -> Vec<RegistryError> {
    let realm = "https://auth.example.com/token".to_owned();
    let refusals = [
        AuthRefusal::UntrustedRealm {
            realm: realm.clone(),
        },
        AuthRefusal::CleartextCredentials {
            url: "http://r.example".into(),
        },
        AuthRefusal::UnusableToken {
            realm: realm.clone(),
        },
        AuthRefusal::TokenServiceFailed {
            realm: realm.clone(),
            status: 502,
        },
        AuthRefusal::TokenServiceUnreachable { realm },
    ];
    let mut all = vec![
        RegistryError::Network {
            attempt: attempt(),
            detail: "Failed to fetch".into(),
        },
        RegistryError::Aborted { attempt: attempt() },
        RegistryError::TimedOut {
            attempt: attempt(),
            after_ms: 30_000,
        },
        RegistryError::NotFound {
            attempt: attempt(),
            errors: entries(),
        },
        RegistryError::Unauthorized {
            attempt: attempt(),
            challenge: None,
            errors: vec![],
        },
        RegistryError::Denied {
            attempt: attempt(),
            errors: vec![],
        },
        RegistryError::Unsupported {
            attempt: attempt(),
            status: 405,
            errors: vec![],
        },
        RegistryError::RateLimited {
            attempt: attempt(),
            retry_after: Some(7),
        },
        RegistryError::RateLimited {
            attempt: attempt(),
            retry_after: None,
        },
        RegistryError::Invalid {
            attempt: attempt(),
            status: 400,
            errors: vec![],
        },
        RegistryError::Server {
            attempt: attempt(),
            status: 500,
            errors: vec![],
        },
        RegistryError::UnexpectedStatus {
            attempt: attempt(),
            status: 418,
            errors: vec![],
        },
        RegistryError::Malformed {
            attempt: attempt(),
            reason: MalformedReason::NotARegistryApi,
        },
        RegistryError::DigestMismatch {
            attempt: attempt(),
            expected: digest(1).to_string(),
            actual: digest(2).to_string(),
        },
        RegistryError::TooLargeToSend {
            attempt: attempt(),
            size: 5_000_000,
            limit: 4_194_304,
        },
        RegistryError::TooLarge {
            attempt: attempt(),
            size: 5_000_000,
            limit: 4_194_304,
        },
    ];
    all.extend(
        refusals
            .into_iter()
            .map(|refusal| RegistryError::SignInRefused {
                attempt: attempt(),
                refusal,
            }),
    );
    all
}

fn server_error() -> Box<RegistryError> {
    Box::new(RegistryError::Server {
        attempt: attempt(),
        status: 500,
        errors: vec![],
    })
}

fn tag_write() -> TagWrite {
    TagWrite {
        repository: Repository::parse("app").unwrap(),
        tag: Tag::parse("2.0").unwrap(),
        digest: digest(1),
        before: TagBefore::Absent,
        applied_anyway: None,
    }
}

/// One of each kind of change failure.
fn every_change_error() -> Vec<ChangeError> {
    let tags = vec!["1.0".to_owned(), "latest".to_owned()];
    let mut all: Vec<ChangeError> = every_registry_error()
        .into_iter()
        .map(ChangeError::Registry)
        .collect();
    all.extend([
        ChangeError::InvalidName(Tag::parse("no/slash").unwrap_err()),
        ChangeError::ChangedMeanwhile {
            tag: "1.0".into(),
            expected: digest(1),
            found: None,
        },
        ChangeError::WouldMove {
            tag: "1.0".into(),
            current: digest(1),
            new: digest(2),
        },
        ChangeError::NotApplied {
            tag: "1.0".into(),
            expected: Some(digest(1)),
            found: None,
        },
        ChangeError::Refused(server_error()),
        ChangeError::DeletesUnchecked {
            refused: server_error(),
            cause: Box::new(RegistryError::TimedOut {
                attempt: Attempt {
                    method: Method::Delete,
                    url: "http://r/v2/app/manifests/sha256:0000".into(),
                },
                after_ms: 30_000,
            }),
        },
        ChangeError::NotAppliedAfterFailure {
            subject: "app:2.0".into(),
            now: ReadAgain::Tag(None),
            cause: server_error(),
        },
        ChangeError::Unknown {
            cause: server_error(),
            reread: server_error(),
        },
        ChangeError::AfterWrite {
            cause: Box::new(ChangeError::Unknown {
                cause: server_error(),
                reread: server_error(),
            }),
            written: Box::new(Written::Tag(tag_write())),
        },
        ChangeError::PartlyRestored {
            restored: vec!["1.0".into()],
            cause: Box::new(ChangeError::Registry(*server_error())),
        },
        ChangeError::CopyStopped {
            at: CopyWork::Manifest {
                digest: digest(2),
                platform: None,
            },
            cause: Box::new(ChangeError::Registry(*server_error())),
        },
        ChangeError::Cancelled { done: 1, total: 3 },
        ChangeError::TagListIncomplete {
            repository: "app".into(),
        },
        ChangeError::TagsChangedMeanwhile {
            digest: digest(1),
            confirmed: tags.clone(),
            now: vec![],
        },
        ChangeError::PartOfIndex {
            digest: digest(1),
            indexes: tags.clone(),
        },
        ChangeError::Recreated {
            tag: "1.0".into(),
            found: digest(2),
        },
        ChangeError::PlatformLost {
            digest: digest(1),
            indexes: tags,
        },
        ChangeError::RolledBack {
            tag: "1.0".into(),
            digest: digest(1),
            placeholder: digest(3),
            cause: server_error(),
        },
        ChangeError::Stranded {
            tag: "1.0".into(),
            original: digest(1),
            placeholder: digest(3),
            cause: server_error(),
        },
    ]);
    all
}

fn assert_complete(message: &Message, what: &dyn std::fmt::Debug) {
    assert!(!message.headline.is_empty(), "headline of {what:?}");
    assert!(!message.detail.is_empty(), "detail of {what:?}");
    assert!(!message.advice.is_empty(), "advice of {what:?}");
    assert!(!message.outcome.is_empty(), "outcome of {what:?}");
    // Sentences for people, not the log line of the protocol layer.
    assert!(!message.headline.contains("HTTP 4"), "{message:?}");
}

#[test]
fn every_registry_failure_has_a_headline_a_detail_and_advice() {
    for error in every_registry_error() {
        let message = wording::error(&error);
        assert_complete(&message, &error);
        assert!(
            message.detail.starts_with(&attempt().to_string()),
            "the detail names the request: {message:?}"
        );
    }
}

#[test]
fn every_change_failure_has_a_headline_a_detail_advice_and_an_outcome() {
    for error in every_change_error() {
        assert_complete(&wording::change_error(&error), &error);
    }
}

/// Whether the failure came from a request to the registry, however deeply wrapped.
fn asked_the_registry(error: &ChangeError) -> bool {
    match error {
        ChangeError::Registry(_)
        | ChangeError::Refused(_)
        | ChangeError::DeletesUnchecked { .. }
        | ChangeError::NotAppliedAfterFailure { .. }
        | ChangeError::Unknown { .. }
        | ChangeError::RolledBack { .. }
        | ChangeError::Stranded { .. } => true,
        ChangeError::AfterWrite { cause, .. }
        | ChangeError::PartlyRestored { cause, .. }
        | ChangeError::CopyStopped { cause, .. } => asked_the_registry(cause),
        _ => false,
    }
}

#[test]
fn a_failure_panel_says_what_happened_in_words_and_folds_the_requests_away() {
    for error in every_change_error() {
        let message = wording::change_error(&error);
        // The panel's first paragraph names no request...
        let told = message.account_and_advice();
        assert!(!told.contains("http://r/"), "{error:?}: {told}");
        // ...its technical details name every one, as the one-line detail does...
        assert_eq!(
            !message.requests.is_empty(),
            asked_the_registry(&error),
            "{error:?}: {:?}",
            message.requests
        );
        for request in &message.requests {
            assert!(
                request.starts_with("GET http://r/") || request.starts_with("DELETE http://r/"),
                "{request}"
            );
            assert!(
                message.detail.contains(request.as_str()),
                "{error:?}: {request} not in {}",
                message.detail
            );
        }
        // ...and a failure with no request says all of it in words.
        if message.requests.is_empty() {
            assert_eq!(message.account, message.detail, "{error:?}");
        }
        // What is left is said once, by the outcome.
        let whole = format!("{} {}", told, message.outcome).to_lowercase();
        let said = [
            "nothing was changed",
            "nothing was deleted",
            "nothing was written",
        ]
        .iter()
        .map(|phrase| whole.matches(phrase).count())
        .sum::<usize>();
        assert!(said <= 1, "{error:?}: {whole}");
    }
    let deletes_unchecked = every_change_error()
        .into_iter()
        .find(|e| matches!(e, ChangeError::DeletesUnchecked { .. }))
        .unwrap();
    let message = wording::change_error(&deletes_unchecked);
    assert_eq!(
        message.requests.len(),
        2,
        "the refused DELETE and the check"
    );
    assert!(message
        .account
        .starts_with("The registry would not delete the tag alone."));
}

#[test]
fn a_result_among_many_says_what_happened_in_words_and_keeps_the_requests_apart() {
    for error in every_change_error() {
        let message = wording::change_error(&error);
        let line = message.result_line();
        // The words name no request, start with the headline, and end with what is
        // left, said once...
        assert!(!line.text.contains("http://r/"), "{error:?}: {}", line.text);
        assert!(
            line.text.starts_with(&message.headline),
            "{error:?}: {}",
            line.text
        );
        assert!(
            line.text.ends_with(&message.outcome),
            "{error:?}: {}",
            line.text
        );
        let said = [
            "nothing was changed",
            "nothing was deleted",
            "nothing was written",
        ]
        .iter()
        .map(|phrase| line.text.to_lowercase().matches(phrase).count())
        .sum::<usize>();
        assert!(said <= 1, "{error:?}: {}", line.text);
        // ...and every request the failure came from is kept for the details.
        assert_eq!(line.requests, message.requests, "{error:?}");
        assert_eq!(
            !line.requests.is_empty(),
            asked_the_registry(&error),
            "{error:?}"
        );
    }
}

#[test]
fn a_failed_write_read_again_says_what_the_registry_shows_and_names_the_write_in_the_details() {
    let message = wording::change_error(&ChangeError::NotAppliedAfterFailure {
        subject: "app:2.0".into(),
        now: ReadAgain::Tag(None),
        cause: Box::new(RegistryError::Network {
            attempt: Attempt {
                method: Method::Put,
                url: "http://r/v2/app/manifests/2.0".into(),
            },
            detail: "Failed to fetch".into(),
        }),
    });
    assert_eq!(message.headline, "The registry could not be reached");
    assert_eq!(
        message.account,
        "Read again after the failure, app:2.0 does not exist"
    );
    assert_eq!(
        message.requests,
        ["PUT http://r/v2/app/manifests/2.0: no response (Failed to fetch)"]
    );
    assert_eq!(
        message.outcome,
        "Not there when read again; the request may still complete."
    );
}

#[test]
fn a_registry_failure_reads_the_same_alone_and_inside_a_change() {
    for error in every_registry_error() {
        let alone = wording::error(&error);
        let inside = wording::change_error(&ChangeError::Registry(error));
        assert_eq!(alone.headline, inside.headline);
        assert_eq!(alone.detail, inside.detail);
        assert_eq!(alone.advice, inside.advice);
        assert_eq!(alone.requests, inside.requests);
        // The headline says what happened; the details are the request.
        assert_eq!(alone.account, "");
        assert_eq!(alone.requests, std::slice::from_ref(&alone.detail));
    }
}

#[test]
fn key_sentences_of_registry_failures() {
    let words = |error: RegistryError| wording::error(&error);
    let all = every_registry_error();
    let network = words(all[0].clone());
    assert_eq!(network.headline, "The registry could not be reached");
    assert!(network.advice.contains("CORS"));
    assert_eq!(
        network.detail,
        "GET http://r/v2/app/manifests/1.0: no response (Failed to fetch)"
    );
    let not_found = words(all[3].clone());
    assert_eq!(not_found.headline, "Not found");
    assert!(not_found
        .detail
        .ends_with(": not found (MANIFEST_UNKNOWN: manifest unknown)"));
    // The operation refused is named: a DELETE refused as UNSUPPORTED is the
    // registry's deletes turned off, or a pull-through cache.
    let refused = |method: Method, code: Option<&str>| {
        words(RegistryError::Unsupported {
            attempt: Attempt {
                method,
                url: "http://r/v2/app/manifests/sha256:abc".into(),
            },
            status: 405,
            errors: code
                .map(|code| ErrorEntry {
                    code: code.into(),
                    message: "The operation is unsupported.".into(),
                })
                .into_iter()
                .collect(),
        })
    };
    let unsupported = refused(Method::Delete, Some("UNSUPPORTED")).advice;
    assert!(
        unsupported.starts_with("This registry does not delete manifests"),
        "{unsupported}"
    );
    assert!(unsupported.contains("storage.delete.enabled: true"));
    assert!(unsupported.contains("pull-through cache"));
    let put = refused(Method::Put, Some("UNSUPPORTED")).advice;
    assert!(put.contains("pull-through cache"), "{put}");
    // A bare 405 (distribution in read-only mode) is not read as deletes off.
    for method in [Method::Delete, Method::Put] {
        let bare = refused(method, None);
        assert_eq!(bare.headline, "Refused by the registry for now");
        assert!(bare.advice.contains("read-only mode"), "{}", bare.advice);
        assert!(!bare.advice.contains("storage.delete"), "{}", bare.advice);
    }
    let get = words(all[6].clone()).advice;
    assert!(get.starts_with("This registry does not offer GET"), "{get}");
    assert_eq!(
        words(all[7].clone()).advice,
        "Wait 7 seconds, then try again."
    );
    let untrusted = words(all[all.len() - 5].clone());
    assert_eq!(
        untrusted.headline,
        "Sign-in refused: untrusted token service"
    );
    assert!(untrusted.advice.contains("auth.example.com"));
    assert!(untrusted.advice.contains("trustedRealms"));
}

/// A damaged manifest is the content's fault, not the address's: the advice says so
/// and never sends the user to check a URL that works for everything else.
#[test]
fn a_malformed_answer_is_advised_by_what_was_wrong() {
    let malformed = |reason: MalformedReason| {
        wording::error(&RegistryError::Malformed {
            attempt: attempt(),
            reason,
        })
        .advice
    };
    let damaged = malformed(MalformedReason::UnexpectedJson {
        error: "expected value at line 1 column 1".into(),
    });
    assert!(damaged.contains("skopeo"), "{damaged}");
    assert!(!damaged.contains("points at"), "{damaged}");
    let not_api = malformed(MalformedReason::NotARegistryApi);
    assert!(not_api.contains("points at an OCI"), "{not_api}");
    let paging = malformed(MalformedReason::RepeatedNextPage);
    assert!(paging.contains("cannot be followed"), "{paging}");
}

/// A challenge's realm may hold a user name, a password or secret query values (a
/// registry's own, or bait): none of them reaches any part of the message, which the
/// activity list stores and reports copy, nor the error's own text.
#[test]
fn a_realm_s_secrets_never_reach_a_message() {
    let realm = "https://robot:s3cret@auth.example.com/token?client_secret=abc123#frag";
    let refusals = [
        AuthRefusal::UntrustedRealm {
            realm: realm.into(),
        },
        AuthRefusal::CleartextCredentials { url: realm.into() },
        AuthRefusal::UnusableToken {
            realm: realm.into(),
        },
        AuthRefusal::TokenServiceFailed {
            realm: realm.into(),
            status: 503,
        },
        AuthRefusal::TokenServiceUnreachable {
            realm: realm.into(),
        },
        AuthRefusal::TokenServiceTimedOut {
            realm: realm.into(),
        },
    ];
    for refusal in refusals {
        let error = RegistryError::SignInRefused {
            attempt: attempt(),
            refusal: refusal.clone(),
        };
        let message = wording::error(&error);
        let shown = format!(
            "{} {} {} {} {} {error}",
            message.headline,
            message.detail,
            message.account,
            message.requests.join(" "),
            message.advice
        );
        for secret in ["robot", "s3cret", "abc123", "frag"] {
            assert!(!shown.contains(secret), "{refusal:?}: {shown}");
        }
        assert!(shown.contains("auth.example.com"), "{refusal:?}: {shown}");
    }
    let untrusted = wording::error(&RegistryError::SignInRefused {
        attempt: attempt(),
        refusal: AuthRefusal::UntrustedRealm {
            realm: realm.into(),
        },
    });
    assert!(
        untrusted
            .detail
            .contains("https://auth.example.com/token?client_secret=…"),
        "{}",
        untrusted.detail
    );
}

#[test]
fn key_sentences_of_change_failures() {
    let words = |error: ChangeError| wording::change_error(&error);
    let refused = words(ChangeError::Refused(server_error()));
    assert_eq!(refused.outcome, "Nothing was changed.");
    let not_applied = words(ChangeError::NotAppliedAfterFailure {
        subject: "app:2.0".into(),
        now: ReadAgain::Tag(None),
        cause: server_error(),
    });
    assert!(not_applied
        .detail
        .ends_with("; read again, app:2.0 does not exist"));
    assert_eq!(
        not_applied.outcome,
        "Not there when read again; the request may still complete."
    );
    let still = words(ChangeError::NotAppliedAfterFailure {
        subject: "app@sha256:…".into(),
        now: ReadAgain::ImageStillThere,
        cause: server_error(),
    });
    assert!(still.detail.ends_with("app@sha256:… still exists"));
    let unknown = words(ChangeError::Unknown {
        cause: server_error(),
        reread: server_error(),
    });
    assert!(unknown.outcome.contains("not known"));
    let cancelled = words(ChangeError::Cancelled { done: 1, total: 3 });
    assert!(cancelled.outcome.starts_with("No tag was changed"));
    assert_eq!(cancelled.detail, "cancelled after 1 of 3 steps");
    let incomplete = words(ChangeError::TagListIncomplete {
        repository: "app".into(),
    });
    assert!(incomplete.advice.contains("Link"));
    let changed = words(ChangeError::TagsChangedMeanwhile {
        digest: digest(1),
        confirmed: vec!["1.0".into()],
        now: vec!["1.0".into(), "latest".into(), "new".into()],
    });
    assert!(changed.detail.contains(
        "now has the tags 1.0, latest, new; the change was confirmed for the tags shown then: 1.0"
    ));
    let stranded = words(ChangeError::AfterWrite {
        cause: Box::new(ChangeError::Stranded {
            tag: "1.0".into(),
            original: digest(1),
            placeholder: digest(3),
            cause: server_error(),
        }),
        written: Box::new(Written::Tag(tag_write())),
    });
    assert!(stranded.detail.contains("throw-away"));
    assert!(stranded.outcome.ends_with("Undo puts the tag back."));
    assert_eq!(
        wording::applied_anyway(&server_error()),
        "the registry answered \"The registry failed\", but reading it again shows the change was applied"
    );
    // A write whose answer never came must not read as if the registry had answered.
    assert_eq!(
        wording::applied_anyway(&RegistryError::TimedOut {
            attempt: attempt(),
            after_ms: 120_000,
        }),
        "the registry did not answer in time, but reading the registry again shows the change \
         was applied"
    );
}

#[test]
fn a_tag_expected_gone_is_described_as_such() {
    let error = ChangeError::NotApplied {
        tag: "1.0".into(),
        expected: None,
        found: Some(digest(1)),
    };
    let text = wording::change_error(&error).detail;
    assert!(text.contains("expected nothing (no such tag)"), "{text}");
    assert!(
        !text.contains(&Digest::sha256_of(b"").to_string()),
        "{text}"
    );
}

#[test]
fn bulk_results_and_the_check_afterwards() {
    let write = tag_write();
    assert_eq!(
        wording::item_result(&ItemResult::Tagged(write.clone())).text,
        format!("tagged 2.0 → {}", digest(1))
    );
    let same = TagWrite {
        before: TagBefore::SameImage,
        ..write.clone()
    };
    assert_eq!(
        wording::item_result(&ItemResult::Tagged(same)).text,
        format!("2.0 already pointed at {}; nothing changed", digest(1))
    );
    assert_eq!(
        wording::item_result(&ItemResult::Failed(ItemFailure::Cancelled)),
        ResultLine::from("not run: cancelled; nothing was changed for it".to_owned())
    );
    // A tag that points elsewhere is never moved by a bulk run: the line says where
    // the move can be confirmed, as Retry would only ask again.
    let would_move = wording::item_result(&ItemResult::Failed(ItemFailure::Change(
        ChangeError::WouldMove {
            tag: "1.0-qa".into(),
            current: digest(1),
            new: digest(2),
        },
    )))
    .text;
    assert!(
        would_move.starts_with("The tag points at another image: 1.0-qa already points at"),
        "{would_move}"
    );
    assert!(
        would_move.ends_with(
            "use Add tag on the row of the image it should point at, and confirm the move."
        ),
        "{would_move}"
    );
    // A failed request: the words first, the request kept for Technical details.
    let refused = ChangeError::Refused(server_error());
    let unreadable = wording::item_result(&ItemResult::Failed(ItemFailure::TagListUnreadable(
        refused.clone(),
    )));
    assert_eq!(
        unreadable.text,
        format!(
            "the tag list could not be read: {}. Nothing was changed.",
            wording::error(&server_error()).headline
        )
    );
    assert_eq!(
        unreadable.requests,
        [wording::error(&server_error()).detail]
    );
    let failed = wording::item_result(&ItemResult::Failed(ItemFailure::Change(refused)));
    assert!(!failed.text.contains("http://r/"), "{}", failed.text);
    assert!(failed.text.ends_with(". Nothing was changed."));
    let lost = KeptLost {
        digest: digest(1),
        error: ChangeError::NotApplied {
            tag: "latest".into(),
            expected: Some(digest(1)),
            found: Some(digest(2)),
        },
    };
    // Such a check turns a batch whose every item was done into a failure.
    assert_eq!(
        wording::batch_checks_failed(1),
        "Every item was done, but 1 check after the run found a problem: it is below."
    );
    assert_eq!(
        wording::kept_lost(&lost),
        ResultLine::from(format!(
            "Check after removing tags of {}: The registry does not show the change: after \
             the change latest points at {}, expected {}. The registry did not apply the \
             change as asked; reload to see its state.",
            digest(1).short(12),
            digest(2),
            digest(1)
        ))
    );
    let users = ImageUsers {
        tags: vec!["a".into(), "b".into()],
        indexes: vec!["multi".into()],
        among_incomplete_list: false,
    };
    assert_eq!(
        wording::kept_for(&users),
        "the other tags a, b and the multi-arch image multi"
    );
}

#[test]
fn an_undo_that_failed_says_what_is_left() {
    let write = UndoAction::Revert(tag_write());
    let changed = ChangeError::ChangedMeanwhile {
        tag: "2.0".into(),
        expected: digest(1),
        found: Some(digest(2)),
    };
    let batch = UndoFailed {
        left: UndoAction::Batch(vec![write.clone()]),
        failures: vec![(write.clone(), changed.clone())],
        batch_of: Some(3),
    };
    assert!(wording::undo_failed(&batch)
        .text
        .starts_with("2 of 3 changes undone; not undone: app:2.0: 2.0 now points at"));
    let single = UndoFailed {
        left: write.clone(),
        failures: vec![(write, changed)],
        batch_of: None,
    };
    assert!(wording::undo_failed(&single)
        .text
        .ends_with("Nothing was changed."));
    assert!(wording::undo_failed(&single).requests.is_empty());
    // A request that failed: named in the details, not in the text.
    let unreachable = UndoFailed {
        left: UndoAction::Revert(tag_write()),
        failures: vec![(
            UndoAction::Revert(tag_write()),
            ChangeError::Refused(server_error()),
        )],
        batch_of: None,
    };
    let told = wording::undo_failed(&unreachable);
    assert!(!told.text.contains("http://"), "{}", told.text);
    assert!(told.text.starts_with("Try again"), "{}", told.text);
    assert_eq!(told.requests, [wording::error(&server_error()).detail]);
}

/// An entry's status after an Undo: "undo failed" only when something did fail; a
/// change only not on the registry (yet) reads calmly, and says whether some was undone.
#[test]
fn an_undo_status_says_failed_only_when_something_failed() {
    let write = UndoAction::Revert(tag_write());
    let not_landed = (write.clone(), ChangeError::NothingToUndo);
    let refused = (write.clone(), ChangeError::Refused(server_error()));
    let status = |failures: Vec<(UndoAction, ChangeError)>, batch_of| {
        wording::undo_status(
            UndoFailed {
                left: write.clone(),
                failures,
                batch_of,
            }
            .shortfall(),
        )
    };
    assert_eq!(
        status(vec![not_landed.clone()], None),
        "nothing to undo now"
    );
    assert_eq!(
        status(vec![not_landed.clone()], Some(1)),
        "nothing to undo now"
    );
    assert_eq!(status(vec![not_landed.clone()], Some(2)), "partly undone");
    assert_eq!(
        status(vec![not_landed.clone(), refused.clone()], Some(3)),
        "undo failed"
    );
    assert_eq!(status(vec![refused], None), "undo failed");
    assert_eq!(status(Vec::new(), None), "undo failed");
}

#[test]
fn what_the_registry_shows_now_after_an_interrupted_change() {
    let repository = Repository::parse("team/app").unwrap();
    let tag = Tag::parse("v2").unwrap();
    let now = |digest| RegistryNow::Tag {
        repository: repository.clone(),
        tag: tag.clone(),
        digest,
    };
    assert_eq!(
        wording::registry_now(&now(Some(digest(1)))),
        format!("team/app:v2 points at {}", digest(1))
    );
    assert_eq!(
        wording::registry_now(&now(None)),
        "team/app:v2 does not exist"
    );
    let unresolved = |still_listed| RegistryNow::TagUnresolved {
        repository: repository.clone(),
        tag: tag.clone(),
        still_listed,
    };
    assert_eq!(
        wording::registry_now(&unresolved(true)),
        "team/app:v2 is still listed but points at no image (the registry deleted the \
         manifest under it without untagging it)"
    );
    assert_eq!(
        wording::registry_now(&unresolved(false)),
        "team/app:v2 answers \"not found\", but the tag list could not be read in full \
         to show it is gone"
    );
    let image = |exists| RegistryNow::Image {
        repository: repository.clone(),
        digest: digest(1),
        exists,
    };
    assert_eq!(
        wording::registry_now(&image(true)),
        format!("team/app@{} still exists", digest(1))
    );
    assert_eq!(
        wording::registry_now(&image(false)),
        format!("team/app@{} is deleted", digest(1))
    );
}

#[test]
fn what_a_search_for_referrers_skipped() {
    let tag = "sha256-abc".to_owned();
    let said = |warning: ReferrerWarning| wording::referrer_warning(&warning).text;
    // A failed read: in words, the request apart for Technical details.
    let unreadable = wording::referrer_warning(&ReferrerWarning::TagUnreadable {
        tag: tag.clone(),
        error: (*server_error()).clone(),
    });
    let failure = wording::error(&server_error());
    assert_eq!(
        unreadable.text,
        format!(
            "the tag sha256-abc could not be read: {}. {}",
            failure.headline,
            failure.account_and_advice()
        )
    );
    assert_eq!(unreadable.requests, [failure.detail]);
    assert_eq!(
        said(ReferrerWarning::FallbackNotIndex {
            tag,
            media_type: "application/vnd.oci.image.manifest.v1+json".into()
        }),
        "the tag sha256-abc is not an index of referrers \
         (application/vnd.oci.image.manifest.v1+json); ignored"
    );
    assert!(said(ReferrerWarning::Skipped { count: 1 }).starts_with("1 entry was skipped"));
    assert!(said(ReferrerWarning::Skipped { count: 5 }).starts_with("5 entries were skipped"));
    assert!(said(ReferrerWarning::ApiStopped {
        pages: 1,
        error: (*server_error()).clone()
    })
    .starts_with("the referrers API stopped after 1 page: "));
    assert!(said(ReferrerWarning::ApiStopped {
        pages: 2,
        error: (*server_error()).clone()
    })
    .starts_with("the referrers API stopped after 2 pages: "));
    for warning in [
        ReferrerWarning::PageRepeats,
        ReferrerWarning::LaterPageNotIndex,
        ReferrerWarning::LinkNotFollowed(LinkError::OtherOrigin("http://elsewhere".into())),
        ReferrerWarning::TooManyPages,
    ] {
        assert!(
            said(warning.clone()).contains("referrers API"),
            "{warning:?}"
        );
    }
    assert_eq!(
        said(ReferrerWarning::TooManyPages),
        "the referrers API has more than 100 pages; only those were read"
    );
}

#[test]
fn a_digest_to_find_that_is_refused_says_what_to_paste() {
    let refused = |text: &str| Sought::parse(text).unwrap_err();
    for short in ["sha256:962752cd0b", "962752cd0b"] {
        assert_eq!(
            wording::digest_refused(&refused(short), false),
            "That is too short a start of a digest (10 hexadecimal digits): the search \
             takes at least the first 12, as the tag list and docker images show them, or \
             the whole digest (the Copy button beside a digest copies all of it)."
        );
    }
    let too_long = format!("sha256:{}", "a".repeat(65));
    for (text, in_address, start) in [
        ("hello", false, "That is not a digest ("),
        // Short, but no hex digits: not the start of a digest.
        ("sha256:not-a-digest", false, "That is not a digest ("),
        (
            too_long.as_str(),
            true,
            "The address names no valid digest (",
        ),
    ] {
        let said = wording::digest_refused(&refused(text), in_address);
        assert!(said.starts_with(start), "{said}");
        assert!(said.ends_with("64 hexadecimal digits, as the image view shows it."));
    }
    // A name and tag, as docker prints it, is told for what it is.
    for text in ["demo/web:1.0", "localhost:5000/team/app:latest"] {
        let said = wording::digest_refused(&refused(text), false);
        assert!(
            said.contains("is an image's name and tag, not a digest"),
            "{said}"
        );
    }
    assert!(wording::digest_refused(&refused("demo/web:1.0"), false)
        .starts_with("demo/web:1.0 is an image's name and tag"));
}

#[test]
fn a_cancelled_search_says_how_far_it_got_and_where_it_stopped() {
    let progress = |done, total| FindProgress {
        repositories_done: done,
        repositories_total: total,
        ..FindProgress::default()
    };
    let repositories = |names: &[&str]| -> Vec<Repository> {
        names
            .iter()
            .map(|n| Repository::parse(n).unwrap())
            .collect()
    };
    assert_eq!(
        wording::search_cancelled(&progress(6, 7), &repositories(&["scale/many-tags"])),
        "Cancelled after 6 of 7 repositories: the search may have missed some. \
         scale/many-tags was read only in part."
    );
    assert_eq!(
        wording::search_cancelled(&progress(1, 9), &repositories(&["a", "b"])),
        "Cancelled after 1 of 9 repositories: the search may have missed some. a, b were \
         read only in part. 6 repositories were not searched."
    );
    assert_eq!(
        wording::search_cancelled(&progress(4, 5), &[]),
        "Cancelled after 4 of 5 repositories: the search may have missed some. \
         1 repository was not searched."
    );
}

#[test]
fn what_a_search_for_a_digest_could_not_read() {
    let repository = Repository::parse("team/app").unwrap();
    let tag = Tag::parse("v1").unwrap();
    let gaps = [
        Gap::CatalogIncomplete,
        Gap::InvalidRepository { name: "A".into() },
        Gap::TagsUnreadable {
            repository: repository.clone(),
            problem: (*server_error()).clone(),
        },
        Gap::TagsIncomplete {
            repository: repository.clone(),
        },
        Gap::InvalidTag {
            repository: repository.clone(),
            tag: "-x".into(),
        },
        Gap::TagUnreadable {
            repository: repository.clone(),
            tag: tag.clone(),
            problem: (*server_error()).clone(),
        },
        Gap::IndexUnreadable {
            repository: repository.clone(),
            tag: tag.clone(),
            problem: (*server_error()).clone(),
        },
        Gap::IndexNotRead {
            repository: repository.clone(),
            tag: tag.clone(),
        },
        Gap::BlobUnreadable {
            repository: repository.clone(),
            problem: (*server_error()).clone(),
        },
        Gap::ImageUnreadable {
            repository: repository.clone(),
            image: Digest::parse(&format!("sha256:{}", "a".repeat(64))).unwrap(),
            named_by: vec![
                (tag.clone(), Some("linux/arm64".into())),
                (Tag::parse("v2").unwrap(), None),
            ],
            problem: (*server_error()).clone(),
        },
        Gap::ImagesNotRead {
            repository: repository.clone(),
            count: 1,
        },
        Gap::ManifestUnreadable {
            repository: repository.clone(),
            problem: (*server_error()).clone(),
        },
    ];
    for gap in &gaps {
        let line = wording::find_gap(gap, None);
        assert!(!line.text.is_empty(), "{gap:?}");
        // Words only: a failed read keeps its request apart.
        assert!(!line.text.contains("http://r/"), "{gap:?}: {}", line.text);
    }
    let failure = wording::error(&server_error());
    assert_eq!(
        wording::find_gap(&gaps[5], None),
        ResultLine {
            text: format!(
                "team/app:v1 could not be read: {}. {}",
                failure.headline,
                failure.account_and_advice()
            ),
            requests: vec![failure.detail.clone()],
        }
    );
    let blob = wording::find_gap(&gaps[8], None);
    assert!(
        blob.text.starts_with(
            "Whether team/app stores it as a layer or configuration could not be read: "
        ),
        "{}",
        blob.text
    );
    assert_eq!(blob.requests, vec![failure.detail.clone()]);
    assert!(wording::find_gap(&gaps[9], None).text.starts_with(
        "The image team/app@sha256:aaaaaaaaaaaa (2 tags: v1 (linux/arm64), v2) could not be read, so whether it has the layer is unknown: "
    ));
    assert_eq!(
        wording::find_gap(&gaps[10], None).text,
        "In team/app, 1 image was not read (too many images in one search)."
    );
    let untagged = wording::find_gap(&gaps[11], None);
    assert!(
        untagged.text.starts_with(
            "Whether team/app keeps an image of that digest that no tag points at could not be read: "
        ),
        "{}",
        untagged.text
    );
    assert_eq!(untagged.requests, vec![failure.detail.clone()]);
    assert_eq!(
        wording::find_gap(&gaps[3], None),
        ResultLine::from("The tag list of team/app may be incomplete.".to_owned())
    );
}

#[test]
fn a_copy_says_its_step() {
    let step = |what| CopyStep {
        done: 1,
        total: 4,
        what,
    };
    let blob = Digest::sha256_of(b"layer");
    assert_eq!(
        wording::copy_step(&step(CopyWork::Blob(blob.clone()))),
        format!("Copying: step 2 of 4 (blob {})", blob.short(12))
    );
    assert_eq!(
        wording::copy_step(&step(CopyWork::Manifest {
            digest: blob.clone(),
            platform: None
        })),
        format!("Copying: step 2 of 4 (manifest {})", blob.short(12))
    );
    assert_eq!(
        wording::copy_step(&step(CopyWork::Tag(Tag::parse("v1").unwrap()))),
        "Copying: step 2 of 4 (tag v1)"
    );
}

/// A name for each rule, so a rule added to the grammar fails to compile here until
/// a test case reaches it.
fn name_rule_kind(rule: &NameRule) -> &'static str {
    match rule {
        NameRule::Empty => "empty",
        NameRule::TooLong { .. } => "too long",
        NameRule::PathComponent { rule, .. } => match rule {
            ComponentRule::Empty => "component empty",
            ComponentRule::UpperCase { .. } => "component upper-case",
            ComponentRule::BadCharacter { .. } => "component character",
            ComponentRule::BadEnds => "component ends",
            ComponentRule::BadSeparator { .. } => "component separator",
        },
        NameRule::BadFirstCharacter { .. } => "first character",
        NameRule::BadCharacter { .. } => "character",
        NameRule::NoAlgorithm => "no algorithm",
        NameRule::UnverifiableAlgorithm { .. } => "algorithm",
        NameRule::WrongDigestLength { .. } => "digest length",
        NameRule::NotLowerCaseHex { .. } => "hex",
        NameRule::BadPort { .. } => "port",
        NameRule::BadHostName => "host name",
    }
}

#[test]
fn every_broken_name_rule_reads_as_a_sentence_naming_the_input() {
    let errors = [
        Tag::parse("").unwrap_err(),
        Tag::parse(&"a".repeat(129)).unwrap_err(),
        Repository::parse("team//app").unwrap_err(),
        Repository::parse("Team/app").unwrap_err(),
        Repository::parse("team/a b").unwrap_err(),
        Repository::parse("team/-app").unwrap_err(),
        Repository::parse("a___b").unwrap_err(),
        Tag::parse(".hidden").unwrap_err(),
        Tag::parse("a/b").unwrap_err(),
        Digest::parse("2cf24dba").unwrap_err(),
        Digest::parse("blake3:abc").unwrap_err(),
        Digest::parse("sha256:abc").unwrap_err(),
        Digest::parse(&format!("sha256:{}", "A".repeat(64))).unwrap_err(),
        ImageReference::parse("host:0/app").unwrap_err(),
        ImageReference::parse("bad_host.example/app").unwrap_err(),
    ];
    let mut kinds = std::collections::BTreeSet::new();
    for error in &errors {
        let sentence = wording::name_error(error);
        assert!(
            sentence.contains(&format!("{:?}", error.input)),
            "{sentence} names {:?}",
            error.input
        );
        assert!(!wording::name_rule(&error.reason).is_empty(), "{error:?}");
        // NameError's Display is a log line of its own (src/oci words nothing): it
        // names the input too, and is never the sentence a screen shows.
        let line = error.to_string();
        assert!(line.contains(&format!("{:?}", error.input)), "{line}");
        assert_ne!(line, sentence);
        kinds.insert(name_rule_kind(&error.reason));
    }
    assert_eq!(
        kinds.len(),
        errors.len(),
        "each case breaks another rule: {kinds:?}"
    );
}

#[test]
fn key_sentences_of_broken_names() {
    assert_eq!(
        wording::name_error(&Tag::parse(".hidden").unwrap_err()),
        "tag \".hidden\" is invalid: it starts with '.'; a tag starts with an ASCII letter, a digit or '_'"
    );
    assert_eq!(
        wording::name_error(&Repository::parse("team//app").unwrap_err()),
        "repository name \"team//app\" is invalid: path component 2 \"\" is empty \
         (two slashes in a row, or a slash at an end)"
    );
    assert_eq!(
        wording::name_error(&Digest::parse("sha256:abc").unwrap_err()),
        "digest \"sha256:abc\" is invalid: a sha256 value has 64 hex characters, this one has 3"
    );
    assert_eq!(
        wording::name_rule(&NameRule::TooLong {
            length: 300,
            max: 255
        }),
        "it is 300 characters long; the limit is 255"
    );
    // A long algorithm is cut in the reason (the input itself is quoted whole).
    let long = format!("{}:abc", "x".repeat(100));
    let error = Digest::parse(&long).unwrap_err();
    assert!(wording::name_rule(&error.reason).contains(&format!("{:?}", "x".repeat(32))));
    assert!(!wording::name_rule(&error.reason).contains(&"x".repeat(33)));
}

/// One of each reason an answer is unreadable; the match fails to compile when a
/// reason is added and not listed here.
fn every_malformed_reason() -> Vec<MalformedReason> {
    let all = vec![
        MalformedReason::NotARegistryApi,
        MalformedReason::CatalogIncomplete,
        MalformedReason::RepeatedNextPage,
        MalformedReason::UnexpectedJson {
            error: "expected value at line 1 column 1".into(),
        },
        MalformedReason::InvalidDigest(Box::new(DigestRefusal {
            error: Digest::parse("sha256:abc").unwrap_err(),
            line: 1,
            column: 50,
        })),
        MalformedReason::ImageConfig {
            error: "invalid type: string \"nope\", expected a sequence".into(),
        },
        MalformedReason::NextPageLink(LinkError::OtherOrigin("http://elsewhere/v2/".into())),
        MalformedReason::NoUploadLocation,
        MalformedReason::BadUploadLocation(LinkError::Malformed(LinkFault::MissingClose)),
        MalformedReason::UploadElsewhere {
            location: "http://elsewhere/upload/1?_state=s3cret".into(),
        },
        MalformedReason::UploadOutsideRepository {
            location: "http://r/v2/other/manifests/latest?_state=s3cret".into(),
        },
        MalformedReason::ListedName(Tag::parse(".x").unwrap_err()),
        MalformedReason::ReferrerNotImage,
        MalformedReason::TooManyManifests { max: 1000 },
    ];
    for reason in &all {
        match reason {
            MalformedReason::NotARegistryApi
            | MalformedReason::CatalogIncomplete
            | MalformedReason::RepeatedNextPage
            | MalformedReason::UnexpectedJson { .. }
            | MalformedReason::InvalidDigest(_)
            | MalformedReason::ImageConfig { .. }
            | MalformedReason::NextPageLink(_)
            | MalformedReason::NoUploadLocation
            | MalformedReason::BadUploadLocation(_)
            | MalformedReason::UploadElsewhere { .. }
            | MalformedReason::UploadOutsideRepository { .. }
            | MalformedReason::ListedName(_)
            | MalformedReason::ReferrerNotImage
            | MalformedReason::TooManyManifests { .. } => {}
        }
    }
    all
}

#[test]
fn every_unreadable_answer_says_why_and_names_the_request() {
    for reason in every_malformed_reason() {
        let words = wording::malformed(&reason);
        assert!(!words.is_empty(), "{reason:?}");
        // An upload's state may be signed: no query value is said.
        assert!(!words.contains("s3cret"), "{words}");
        let error = RegistryError::Malformed {
            attempt: attempt(),
            reason: reason.clone(),
        };
        let message = wording::error(&error);
        assert_complete(&message, &error);
        assert_eq!(
            message.detail,
            format!("{}: unreadable answer: {words}", attempt()),
        );
        // The log line names the request and carries the reason as data, not words.
        let line = error.to_string();
        assert!(line.starts_with(&attempt().to_string()), "{line}");
        assert!(line.contains(&format!("{reason:?}")), "{line}");
        assert!(!line.contains(&words), "{line}");
    }
}

#[test]
fn key_sentences_of_unreadable_answers() {
    let words = |reason| wording::malformed(&reason);
    assert_eq!(
        words(MalformedReason::NotARegistryApi),
        "the answer to /v2/ is not JSON, so this is not a registry API"
    );
    assert_eq!(
        words(MalformedReason::UnexpectedJson {
            error: "expected value at line 1 column 1".into()
        }),
        "not the expected JSON: expected value at line 1 column 1"
    );
    assert!(words(MalformedReason::UploadElsewhere {
        location: "http://elsewhere/upload/1".into()
    })
    .contains("http://elsewhere/upload/1 is on another server"));
    // A location's signed state never reaches a message (stored with the activity
    // list); its parameters' names do, as in the request lines.
    let outside = words(MalformedReason::UploadOutsideRepository {
        location: "http://reg/v2/other/blobs/uploads/u?_state=SECRET&digest=sha256:ab".into(),
    });
    assert!(outside.contains("http://reg/v2/other/blobs/uploads/u?_state=…&digest=sha256:ab"));
    assert!(!outside.contains("SECRET"));
    let next = wording::link_error(&LinkError::OtherOrigin(
        "http://elsewhere/v2/_catalog?last=x&token=SECRET".into(),
    ));
    assert!(next.contains("(http://elsewhere/v2/_catalog?last=x&token=…)"));
    assert!(words(MalformedReason::NoUploadLocation)
        .contains("Access-Control-Expose-Headers: Location"));
    assert_eq!(
        words(MalformedReason::ListedName(Tag::parse(".x").unwrap_err())),
        "not a valid tag or digest: tag \".x\" is invalid: it starts with '.'; \
         a tag starts with an ASCII letter, a digit or '_'"
    );
    assert_eq!(
        words(MalformedReason::TooManyManifests { max: 1000 }),
        "the index lists more than 1000 manifests"
    );
}

/// One of each reason the clean-up plan gives a tag, with the words that must name
/// what the rule saw; the match fails to compile when a reason is added and not
/// listed here.
fn every_tag_reason() -> Vec<(TagReason, &'static str)> {
    let pattern = |p: &str| TagPattern::parse(p).unwrap();
    let subject = Digest::sha256_of(b"subject");
    let follows = |scheme, image| TagReason::FollowsImage {
        scheme,
        subject: subject.clone(),
        image,
    };
    let all = vec![
        (
            TagReason::Unreadable {
                problem: Some(server_error()),
            },
            "(GET http://r/v2/app/manifests/1.0: registry error (HTTP 500))",
        ),
        (TagReason::Unreadable { problem: None }, "unknown reason"),
        (
            TagReason::KeepPattern {
                pattern: pattern("v*"),
            },
            "keep pattern v*",
        ),
        (
            TagReason::KeepNewest {
                rank: 2,
                newest: 5,
                by: NewestBy::Version,
            },
            "no. 2 of the 5 newest by version order",
        ),
        (
            TagReason::UnknownDate {
                date: UnusableDate::Unknown,
                newest: 3,
            },
            "among the 3 newest",
        ),
        (
            TagReason::RemovePattern {
                pattern: pattern("pr-*"),
            },
            "remove pattern pr-*",
        ),
        (
            TagReason::OlderThan {
                created: 1_767_225_600,
                age_days: 45,
                days: 30,
            },
            "2026-01-01 00:00 UTC, 45 days ago, more than 30 days",
        ),
        (
            TagReason::OlderThan {
                created: 1_767_225_600,
                age_days: 2,
                days: 1,
            },
            "2026-01-01 00:00 UTC, 2 days ago, more than 1 day",
        ),
        (
            TagReason::NoRuleRemoves {
                unknown_age: Some(UnusableDate::Placeholder {
                    created: "1970-01-01T00:00:00Z".into(),
                }),
            },
            "1970-01-01",
        ),
        (
            TagReason::NoRuleRemoves {
                unknown_age: Some(UnusableDate::NotADate {
                    created: "yesterday".into(),
                }),
            },
            "\"yesterday\" is not a date",
        ),
        (
            TagReason::OthersRemoved,
            "the rules remove every tag none keeps",
        ),
        (
            follows(ReferrerTagScheme::CosignSignature, SubjectFate::Deleted),
            "signature of image sha256:",
        ),
        (
            follows(ReferrerTagScheme::CosignSbom, SubjectFate::Stays),
            "SBOM of image sha256:",
        ),
        (
            follows(ReferrerTagScheme::Fallback, SubjectFate::Untagged),
            "referrers index of image sha256:",
        ),
        (
            follows(ReferrerTagScheme::CosignAttestation, SubjectFate::Stays),
            "attestation of image sha256:",
        ),
    ];
    for (reason, _) in &all {
        match reason {
            TagReason::Unreadable { .. }
            | TagReason::KeepPattern { .. }
            | TagReason::KeepNewest { .. }
            | TagReason::UnknownDate { .. }
            | TagReason::RemovePattern { .. }
            | TagReason::OlderThan { .. }
            | TagReason::NoRuleRemoves { .. }
            | TagReason::OthersRemoved
            | TagReason::FollowsImage { .. } => {}
        }
    }
    all
}

#[test]
fn every_clean_up_reason_says_kept_or_removed_and_what_the_rule_saw() {
    for (reason, names) in every_tag_reason() {
        let words = wording::tag_reason(&reason);
        let removes = matches!(
            reason,
            TagReason::RemovePattern { .. }
                | TagReason::OlderThan { .. }
                | TagReason::OthersRemoved
                | TagReason::FollowsImage {
                    image: SubjectFate::Deleted,
                    ..
                }
        );
        let start = if removes { "removed: " } else { "kept: " };
        assert!(words.starts_with(start), "{words}");
        assert!(words.contains(names), "{words} lacks {names}");
        if let TagReason::FollowsImage { subject, .. } = &reason {
            assert!(words.contains(subject.short(12)), "{words}");
        }
    }
}

#[test]
fn key_sentences_of_clean_up_reasons() {
    let words = |reason| wording::tag_reason(&reason);
    assert_eq!(
        words(TagReason::NoRuleRemoves { unknown_age: None }),
        "kept: no rule removes it"
    );
    assert_eq!(
        words(TagReason::NoRuleRemoves {
            unknown_age: Some(UnusableDate::Unknown)
        }),
        "kept: its creation date is unknown, so the age rule cannot remove it, and no other \
         rule removes it"
    );
    assert_eq!(
        words(TagReason::KeepNewest {
            rank: 1,
            newest: 2,
            by: NewestBy::Created
        }),
        "kept: no. 1 of the 2 newest by creation date"
    );
    let subject = Digest::sha256_of(b"subject");
    assert_eq!(
        words(TagReason::FollowsImage {
            scheme: ReferrerTagScheme::CosignSignature,
            subject: subject.clone(),
            image: SubjectFate::Untagged,
        }),
        format!(
            "kept: signature of image sha256:{}…, which no tag here points at; left as it is",
            subject.short(12)
        )
    );
    // A registry's long non-date is quoted by its start only.
    let long = words(TagReason::NoRuleRemoves {
        unknown_age: Some(UnusableDate::NotADate {
            created: "x".repeat(100),
        }),
    });
    assert!(long.contains(&format!("{:?}", "x".repeat(40))), "{long}");
}

#[test]
fn why_a_plan_keeps_an_image_and_deletes_none_and_its_notes() {
    let index = Digest::sha256_of(b"index");
    let refusals = [
        DeletesRefused::TagListIncomplete,
        DeletesRefused::UnreadableTags { count: 1 },
        DeletesRefused::UnreadableTags { count: 3 },
    ];
    for refusal in &refusals {
        match refusal {
            DeletesRefused::TagListIncomplete | DeletesRefused::UnreadableTags { .. } => {}
        }
        assert!(wording::deletes_refused(refusal).ends_with("only tags are removed"));
    }
    assert!(wording::deletes_refused(&refusals[1]).starts_with("1 tag could not be read, so it"));
    assert!(wording::deletes_refused(&refusals[2]).starts_with("3 tags could not be read, so they"));

    let kept = [
        (
            KeptBecause::StillTagged {
                tags: vec!["latest".into(), "1.0".into()],
            },
            "still tagged latest, 1.0".to_owned(),
        ),
        (
            KeptBecause::ListedByKeptIndex {
                index: index.clone(),
                tags: vec![],
            },
            format!(
                "listed by the kept multi-arch image sha256:{}…",
                index.short(12)
            ),
        ),
        (
            KeptBecause::ListedByKeptIndex {
                index: index.clone(),
                tags: vec!["latest".into()],
            },
            format!(
                "listed by the kept multi-arch image sha256:{}… (latest)",
                index.short(12)
            ),
        ),
        (
            KeptBecause::DeletesRefused {
                refusal: DeletesRefused::TagListIncomplete,
            },
            format!(
                "no image is deleted: {}",
                wording::deletes_refused(&DeletesRefused::TagListIncomplete)
            ),
        ),
        (KeptBecause::KeptByPlan, "kept by the plan".to_owned()),
    ];
    for (because, words) in &kept {
        match because {
            KeptBecause::StillTagged { .. }
            | KeptBecause::ListedByKeptIndex { .. }
            | KeptBecause::DeletesRefused { .. }
            | KeptBecause::KeptByPlan => {}
        }
        assert_eq!(&wording::kept_because(because), words);
    }

    for note in [
        PlanNote::UnreadableDeletions { count: 2 },
        PlanNote::RemovesNothing,
        PlanNote::RemovesEveryTag { count: 3 },
        PlanNote::TiedAtCutoff {
            newest: 2,
            created: 0,
            kept: vec!["b".into(), "a".into()],
            not_kept: vec!["9".into()],
            one_image: false,
        },
        PlanNote::NotVersions {
            tags: vec!["latest".into()],
        },
        PlanNote::PlatformsUnread {
            images: [(digest(1), vec!["a".into()]), (digest(2), vec![])].into(),
        },
    ] {
        match note {
            PlanNote::UnreadableDeletions { .. }
            | PlanNote::RemovesNothing
            | PlanNote::RemovesEveryTag { .. }
            | PlanNote::TiedAtCutoff { .. }
            | PlanNote::NotVersions { .. }
            | PlanNote::PlatformsUnread { .. } => {}
        }
        assert!(!wording::plan_note(&note).is_empty());
    }
    assert_eq!(
        wording::plan_note(&PlanNote::TiedAtCutoff {
            newest: 2,
            created: 0,
            kept: vec!["b".into(), "a".into()],
            not_kept: vec!["9".into()],
            one_image: false,
        }),
        "keep newest 2 ends among tags created at the same moment, 1970-01-01 00:00 UTC: \
         b, a, 9. Tags of one date rank by version order, highest first, so b, a are among \
         the 2 newest and 9 is not"
    );
    assert_eq!(
        wording::plan_note(&PlanNote::UnreadableDeletions { count: 2 }),
        "2 manifests to be deleted could not be read, so the bytes to reclaim may be more \
         than shown"
    );
}

/// The kind of a refusal of clean-up rules; the match fails to compile when a kind
/// is added and not listed here.
fn rules_error_kind(error: &RulesError) -> &'static str {
    match error {
        RulesError::EmptyPattern => "empty pattern",
        RulesError::PatternTooLong { .. } => "long pattern",
        RulesError::PatternCharacter { .. } => "pattern character",
        RulesError::KeepNoneNewest => "keep none",
        RulesError::KeepTooManyNewest { .. } => "keep too many",
        RulesError::NoDays => "no days",
        RulesError::TooManyDays { .. } => "too many days",
        RulesError::TooManyPatterns { .. } => "too many patterns",
        RulesError::RemovesEveryTag => "removes every tag",
        RulesError::NotAnObject => "not an object",
        RulesError::JsonNotWholeNumber { .. } => "json number",
        RulesError::JsonField { .. } => "json field",
        RulesError::JsonPattern { .. } => "json pattern",
        RulesError::Json { .. } => "json",
        RulesError::AddressNotWholeNumber { .. } => "address number",
        RulesError::AddressNewestBy { .. } => "address newestBy",
        RulesError::AddressOthers { .. } => "address others",
        RulesError::FieldNotWholeNumber { .. } => "field number",
        RulesError::ConfigNotAnObject => "config not an object",
        RulesError::ConfigNamespace { .. } => "config namespace",
        RulesError::ConfigRules { .. } => "config rules",
        RulesError::ConfigTwice { .. } => "config twice",
    }
}

/// One of each refusal, as the rules' own checks make it where they can, with what
/// its sentence must name.
fn every_rules_error() -> Vec<(RulesError, &'static str)> {
    let json = |value: serde_json::Value| CleanupRules::from_json(&value).unwrap_err();
    let query = |query: &str| CleanupRules::from_query(query).unwrap_err();
    let config = |value: serde_json::Value| CleanupDefaults::from_json(&value).unwrap_err();
    let many: Vec<String> = (0..51).map(|i| format!("v{i}")).collect();
    vec![
        (TagPattern::parse("").unwrap_err(), "empty"),
        (
            TagPattern::parse(&"x".repeat(129)).unwrap_err(),
            "xxxxxxxxxx",
        ),
        (TagPattern::parse("v1/*").unwrap_err(), "\"v1/*\""),
        (json(serde_json::json!({"keepNewest": 0})), "keep newest"),
        (
            json(serde_json::json!({"keepNewest": 2_000_000})),
            "2000000",
        ),
        (
            json(serde_json::json!({"removeOlderThanDays": 0})),
            "remove older than",
        ),
        (
            json(serde_json::json!({"removeOlderThanDays": 40000})),
            "40000",
        ),
        (
            json(serde_json::json!({"remove": many})),
            "51 remove patterns",
        ),
        (json(serde_json::json!({"others": "remove"})), "keep rule"),
        (json(serde_json::json!([1])), "object"),
        (json(serde_json::json!({"keepNewest": "ten"})), "\"ten\""),
        (json(serde_json::json!({"keepNewst": 3})), "keepNewst"),
        (
            json(serde_json::json!({"keep": ["ok", "bad pattern"]})),
            "keep: the tag pattern \"bad pattern\"",
        ),
        (
            RulesError::Json {
                error: "trailing characters".into(),
            },
            "trailing characters",
        ),
        (query("olderThanDays=soon"), "olderThanDays=\"soon\""),
        (query("newestBy=size"), "\"size\""),
        (query("others=archive"), "\"archive\""),
        (
            RulesError::FieldNotWholeNumber {
                field: NumberField::RemoveOlderThan,
                text: "a week".into(),
            },
            "\"a week\"",
        ),
        (config(serde_json::json!([1])), "config.json"),
        (config(serde_json::json!({"Team": {}})), "\"Team\""),
        (
            config(serde_json::json!({"team": {"keepNewest": 0}})),
            "\"team\"",
        ),
        (
            config(serde_json::json!({"team": {}, "team/": {}})),
            "twice",
        ),
    ]
}

#[test]
fn every_refusal_of_clean_up_rules_reads_as_a_sentence_naming_the_input() {
    let errors = every_rules_error();
    let mut kinds = std::collections::BTreeSet::new();
    for (error, names) in &errors {
        let sentence = wording::rules_error(error);
        assert!(sentence.contains(names), "{sentence:?} names {names:?}");
        // RulesError's Display is a log line of its own (src/oci words nothing), never
        // the sentence a screen shows.
        assert_ne!(error.to_string(), sentence);
        kinds.insert(rules_error_kind(error));
    }
    assert_eq!(
        kinds.len(),
        errors.len(),
        "each case is another kind: {kinds:?}"
    );
}

#[test]
fn key_sentences_of_refused_clean_up_rules() {
    // tests/e2e/cleanup.spec.mjs asserts this one next to the form's field.
    assert_eq!(
        wording::rules_error(&RulesError::KeepNoneNewest),
        "keep newest must be at least 1; to not use the rule, leave it empty"
    );
    assert_eq!(
        wording::rules_error(&RulesError::TooManyDays {
            days: 40_000,
            max: 36_500
        }),
        "remove older than 40000 days is more than 36500 days (100 years)"
    );
    assert_eq!(
        wording::rules_error(&RulesError::TooManyPatterns {
            list: PatternList::Keep,
            count: 51,
            max: 50
        }),
        "51 keep patterns are more than 50; combine them with '*'"
    );
    assert_eq!(
        wording::rules_error(&RulesError::FieldNotWholeNumber {
            field: NumberField::KeepNewest,
            text: "ten".into()
        }),
        "keep newest \"ten\" is not a whole number; write it as digits, such as 10, or leave it empty"
    );
    assert_eq!(
        wording::rules_error(&CleanupRules::from_query("keepNewest=ten").unwrap_err()),
        "keepNewest=\"ten\" in the address is not a whole number; write it as digits, such as keepNewest=10"
    );
    // Digits, but out of range: said as such, not "not a whole number".
    let field = |field, text: &str| {
        wording::rules_error(&RulesError::FieldNotWholeNumber {
            field,
            text: text.into(),
        })
    };
    assert_eq!(
        field(NumberField::KeepNewest, "-1"),
        "keep newest -1 is below 1: write a number from 1 to 1000000, or leave it empty"
    );
    assert_eq!(
        field(NumberField::RemoveOlderThan, "99999999999"),
        "remove older than 99999999999 is more than 36500: write a number from 1 to 36500, \
         or leave it empty"
    );
    assert_eq!(
        wording::rules_error(
            &CleanupRules::from_query("keepNewest=99999999999999999999").unwrap_err()
        ),
        "keepNewest=99999999999999999999 in the address is more than 1000000: write a number \
         from 1 to 1000000"
    );
    let combination = CleanupRules {
        others: Others::Remove,
        ..CleanupRules::default()
    };
    assert!(wording::rules_error(&combination.validate().unwrap_err())
        .contains("without a keep rule would remove every tag"));
    // A pattern refused in JSON rules says which list, then what.
    let refused =
        CleanupRules::from_json(&serde_json::json!({"remove": ["v1", "v1/*"]})).unwrap_err();
    assert_eq!(
        refused,
        RulesError::JsonPattern {
            key: "remove".into(),
            error: Box::new(TagPattern::parse("v1/*").unwrap_err()),
        }
    );
    assert_eq!(
        wording::rules_error(&refused),
        "clean-up rules, remove: the tag pattern \"v1/*\" contains '/'; tags hold only \
         letters, digits, '_', '.' and '-', and patterns add only '*' (any characters) and \
         '?' (one character)"
    );
    // An item that is no string comes first: the JSON reader's refusal, as it says it.
    let refused = CleanupRules::from_json(&serde_json::json!({"keep": [5, "a b"]})).unwrap_err();
    assert!(
        matches!(&refused, RulesError::JsonField { key, error } if key == "keep" && error.contains("integer")),
        "{refused:?}"
    );
    // A pattern refused inside config.json says where, then what.
    assert_eq!(
        wording::rules_error(
            &CleanupDefaults::from_json(&serde_json::json!({"team": {"keep": [""]}})).unwrap_err()
        ),
        "config.json cleanup \"team\": clean-up rules, keep: a tag pattern is empty; \
         write one such as v* or release-*, or remove it"
    );
}

/// The kind of a Link header's fault; the match fails to compile when a kind is
/// added and not listed here.
fn link_fault_kind(fault: &LinkFault) -> &'static str {
    match fault {
        LinkFault::ExpectedOpen { .. } => "no '<'",
        LinkFault::MissingClose => "no '>'",
        LinkFault::Unexpected { .. } => "unexpected",
        LinkFault::EmptyParameter => "empty parameter",
        LinkFault::UnterminatedQuote => "unterminated quote",
        LinkFault::BaseNotAbsolute { .. } => "relative base",
    }
}

#[test]
fn every_link_that_is_not_followed_says_why_naming_the_text_at_fault() {
    const BASE: &str = "http://r.example/v2/_catalog";
    let link = |header: &str| next_page_url(header, BASE).unwrap_err();
    let cases = [
        (link("/v2/x; rel=next"), "\"/v2/x; rel=next\""),
        (link("<unterminated; rel=next"), "'>'"),
        (link("<a> junk"), "\"junk\""),
        (link("<a>; =x"), "parameter"),
        (link(r#"<a>; rel="open"#), "quoted"),
        (resolve("v2/relative", "x").unwrap_err(), "\"v2/relative\""),
        (
            link(r#"<http://elsewhere.example/v2/_catalog?last=b>; rel="next""#),
            "http://elsewhere.example/v2/_catalog?last=b",
        ),
        (
            link(r#"</v2/secret/tags/list>; rel="next""#),
            "/v2/secret/tags/list",
        ),
    ];
    let mut kinds = std::collections::BTreeSet::new();
    for (error, names) in &cases {
        let sentence = wording::link_error(error);
        assert!(sentence.contains(names), "{sentence:?} names {names:?}");
        // The log line names the text at fault as data, never the sentence.
        let line = error.to_string();
        let at_fault = match error {
            LinkError::Malformed(fault) => format!("{fault:?}"),
            LinkError::OtherOrigin(url) | LinkError::OtherList(url) => url.clone(),
        };
        assert!(line.contains(&at_fault), "{line}");
        assert_ne!(line, sentence);
        kinds.insert(match error {
            LinkError::Malformed(fault) => link_fault_kind(fault),
            LinkError::OtherOrigin(_) => "other origin",
            LinkError::OtherList(_) => "other list",
        });
    }
    assert_eq!(kinds.len(), cases.len(), "{kinds:?}");
    assert_eq!(
        wording::link_error(&LinkError::Malformed(LinkFault::MissingClose)),
        "Link header is malformed: missing '>'"
    );
    assert_eq!(
        wording::link_error(&LinkError::OtherOrigin("http://evil/v2/".into())),
        "next page link points at another server (http://evil/v2/); refusing to follow it"
    );
    // Inside a registry failure and a referrers warning, the same words.
    assert_eq!(
        wording::malformed(&MalformedReason::BadUploadLocation(LinkError::Malformed(
            LinkFault::EmptyParameter
        ))),
        "the upload location is not usable: Link header is malformed: empty link parameter"
    );
    assert!(
        wording::referrer_warning(&ReferrerWarning::LinkNotFollowed(LinkError::OtherOrigin(
            "http://evil/v2/".into()
        )))
        .text
        .ends_with("another server (http://evil/v2/); refusing to follow it")
    );
}

#[test]
fn a_refused_manifest_says_why() {
    let not_json = Manifest::parse(b"not json".to_vec(), None).unwrap_err();
    let ManifestError::Malformed(reader) = &not_json else {
        panic!("{not_json:?}");
    };
    assert_eq!(
        wording::manifest_error(&not_json),
        format!("the manifest is not valid JSON of the expected shape: {reader}")
    );
    // The log line carries the reader's message, not the sentence.
    assert!(not_json.to_string().contains(reader.as_str()), "{not_json}");
    assert_ne!(not_json.to_string(), wording::manifest_error(&not_json));
    let too_large = Manifest::parse(vec![b' '; MAX_MANIFEST_BYTES + 1], None).unwrap_err();
    assert_eq!(
        wording::manifest_error(&too_large),
        "the manifest is 4194305 bytes; registries need only accept 4 MiB"
    );
    assert!(too_large.to_string().contains("4194305"), "{too_large}");
    assert_ne!(too_large.to_string(), wording::manifest_error(&too_large));
}

#[test]
fn a_manifest_with_an_invalid_digest_says_which_and_where() {
    // The JSON reader's position ends the sentence, as it did when the reader's own
    // message was shown.
    let bytes = br#"{"schemaVersion":2,"config":{"digest":"sha256:abc","size":1}}"#;
    let refused = Manifest::parse(bytes.to_vec(), None).unwrap_err();
    let ManifestError::InvalidDigest(refusal) = &refused else {
        panic!("{refused:?}");
    };
    assert_eq!(
        wording::manifest_error(&refused),
        "the manifest is not valid JSON of the expected shape: digest \"sha256:abc\" is \
         invalid: a sha256 value has 64 hex characters, this one has 3 at line 1 column 50"
    );
    // From a registry's answer, an unreadable answer naming the same digest.
    assert_eq!(
        wording::malformed(&MalformedReason::InvalidDigest(Box::new(refusal.clone()))),
        "not the expected JSON: digest \"sha256:abc\" is invalid: a sha256 value has 64 \
         hex characters, this one has 3 at line 1 column 50"
    );
    // Without a position from the reader, none is made up.
    let unplaced = DigestRefusal {
        line: 0,
        column: 0,
        ..refusal.clone()
    };
    assert!(
        wording::manifest_error(&ManifestError::InvalidDigest(unplaced))
            .ends_with("this one has 3")
    );
}

#[test]
fn a_stored_manifest_under_another_digest_says_both() {
    let (stored, actual) = (Digest::sha256_of(b"stored"), Digest::sha256_of(b"read"));
    assert_eq!(
        wording::manifest_error(&ManifestError::StoredDigestMismatch {
            stored: stored.clone(),
            actual: actual.clone(),
        }),
        format!("stored manifest hashes to {actual}, not {stored}")
    );
}

#[test]
fn a_typed_registry_address_that_is_none_says_what_to_type() {
    let said =
        |input: &str| wording::address_error(&normalize_registry_address(input).unwrap_err());
    assert_eq!(
        said("  "),
        "Enter the registry's address, for example http://127.0.0.1:5000"
    );
    assert_eq!(
        said("ftp://registry.example"),
        "Only http:// and https:// registries can be reached from a browser"
    );
    assert_eq!(said("http:///v2/"), "\"http:///v2/\" has no host name");
    assert_eq!(
        said("registry.example/my team"),
        "\"registry.example/my team\" has a blank inside; an address has none"
    );
}

#[test]
fn a_sentence_lists_a_few_names_and_counts_the_rest() {
    let names = |n: usize| (0..n).map(|i| format!("t{i}")).collect::<Vec<_>>();
    assert_eq!(wording::some_names(&names(3)), "t0, t1, t2");
    // One more than shown is listed, not counted: "(and 1 more)" saves nothing.
    assert_eq!(
        wording::some_names(&names(wording::NAMES_SHOWN + 1))
            .split(", ")
            .count(),
        wording::NAMES_SHOWN + 1
    );
    assert_eq!(
        wording::some_names(&names(2000)),
        "t0, t1, t2, t3, t4, t5, t6, t7, t8, t9 (and 1990 more)"
    );
    // A tag removed from an image that 1999 other tags keep: one short line.
    let users = ImageUsers {
        tags: names(1999),
        indexes: vec!["multi".into()],
        among_incomplete_list: false,
    };
    assert_eq!(
        wording::kept_for(&users),
        "the other tags t0, t1, t2, t3, t4, t5, t6, t7, t8, t9 (and 1989 more) and the multi-arch image multi"
    );
}

#[test]
fn a_step_whose_code_did_not_arrive_says_nothing_changed_and_what_to_do() {
    let line = wording::part_missing("Undo");
    assert!(line.starts_with("Undo could not start"), "{line}");
    assert!(
        line.contains("Nothing was changed in the registry"),
        "{line}"
    );
    assert!(line.contains("Try again"), "{line}");
    // A fetch that hangs ends too (the loader's timeout): the line names the wait.
    assert!(line.contains("within 30 seconds"), "{line}");
}

#[test]
fn the_wait_a_missing_part_names_is_the_loaders_timeout() {
    // The timeout lives in the JavaScript the build adds to wasm-split's loader; the
    // words live here. One changed without the other would tell the user a false wait.
    let loader_timeout = include_str!("../scripts/split/chunk-timeout.js");
    let ms: u32 = loader_timeout
        .lines()
        .find_map(|line| line.strip_prefix("const CHUNK_TIMEOUT_MS = "))
        .and_then(|rest| rest.strip_suffix(';'))
        .expect("chunk-timeout.js declares CHUNK_TIMEOUT_MS")
        .parse()
        .expect("CHUNK_TIMEOUT_MS is a number of milliseconds");
    assert_eq!(ms % 1000, 0, "a whole number of seconds: {ms}");
    let words = format!("within {} seconds", ms / 1000);
    assert!(
        wording::PART_MISSING_ADVICE.contains(&words),
        "{words} / {}",
        wording::PART_MISSING_ADVICE
    );
}

#[test]
fn the_wait_a_silent_change_names_is_the_write_timeout() {
    let minutes = tagdeck::oci::http::WRITE_TIMEOUT_MS / 60_000;
    assert!(
        wording::STILL_WAITING.contains(&format!("up to {minutes} minutes")),
        "{}",
        wording::STILL_WAITING
    );
}

#[test]
fn a_registry_that_stopped_answering_is_not_blamed_on_cors_first() {
    let advice = wording::error(&RegistryError::Network {
        attempt: attempt(),
        detail: "Failed to fetch".into(),
    })
    .advice;
    let outage = advice.find("down or restarting").expect(&advice);
    let cors = advice.find("CORS").expect(&advice);
    assert!(outage < cors, "{advice}");
    assert!(advice.contains("never worked from this page"), "{advice}");
}

#[test]
fn a_sentence_after_a_colon_starts_in_lower_case_unless_its_first_word_is_capitals() {
    assert_eq!(wording::after_colon("Not found"), "not found");
    assert_eq!(
        wording::after_colon("The registry did not answer in time"),
        "the registry did not answer in time"
    );
    assert_eq!(wording::after_colon("CORS refused it"), "CORS refused it");
    assert_eq!(wording::after_colon("A"), "A");
    assert_eq!(wording::after_colon(""), "");
    // ASCII only: a registry's message in another script is left as it came (Unicode's
    // case tables cost every page 11 KB of gzip).
    assert_eq!(wording::after_colon("Één"), "Één");
}

#[test]
fn a_search_headline_names_how_the_digest_is_used_kind_by_kind() {
    let repository = |name: &str| Repository::parse(name).unwrap();
    let tag = |name: &str| Tag::parse(name).unwrap();
    let pointed_at = |repo: &str, name: &str| DigestUse::Tag {
        repository: repository(repo),
        tag: tag(name),
        digest: digest(1),
    };
    let in_image = |repo: &str, part| DigestUse::InImage {
        repository: repository(repo),
        tag: tag("v1"),
        image: digest(2),
        platform: None,
        part,
    };
    assert_eq!(
        wording::found_headline(&[pointed_at("a", "v1")]),
        "Found in 1 repository: 1 tag points at it."
    );
    let listed = DigestUse::ListedBy {
        repository: repository("c"),
        tag: tag("multi"),
        index: digest(3),
        digest: digest(1),
        platform: Some("linux/amd64".into()),
    };
    assert_eq!(
        wording::found_headline(&[
            pointed_at("a", "v1"),
            pointed_at("b", "v1"),
            listed,
            pointed_at("a", "latest"),
        ]),
        "Found in 3 repositories: 3 tags point at it and 1 multi-arch image lists it."
    );
    let layer = ImagePart::Layer { number: 1, of: 2 };
    assert_eq!(
        wording::found_headline(&[
            in_image("a", layer),
            in_image("b", layer),
            in_image("b", ImagePart::Config),
            DigestUse::Blob {
                repository: repository("c"),
                size: None,
                maybe_tagged: false,
            },
            DigestUse::Untagged {
                repository: repository("d"),
                digest: digest(1),
                media_type: "application/vnd.oci.image.manifest.v1+json".into(),
                maybe_tagged: false,
            },
        ]),
        "Found in 4 repositories: 2 tags name images that have it as a layer, 1 tag names an \
         image that has it as its configuration, 1 repository stores it with no tagged image \
         using it and 1 image no tag points at is stored under it."
    );
    assert_eq!(
        wording::uses_not_listed(3),
        "3 more uses were found but are not listed: a search lists at most 10000."
    );
    // Where part of a repository could not be read, "no tag uses it" is not said.
    assert_eq!(
        wording::found_headline(&[DigestUse::Blob {
            repository: repository("c"),
            size: None,
            maybe_tagged: true,
        }]),
        "Found in 1 repository: 1 repository stores it (whether a tagged image uses it is \
         unknown)."
    );
}

#[test]
fn deleting_a_multi_arch_image_says_its_platforms_stay_untagged() {
    let one = wording::platforms_left_behind(Some(1));
    assert!(
        one.starts_with("Its one platform image is not deleted with it: it stays"),
        "{one}"
    );
    let three = wording::platforms_left_behind(Some(3));
    assert!(
        three.starts_with("Its 3 platform images are not deleted with it: they stay"),
        "{three}"
    );
    let unknown = wording::platforms_left_behind(None);
    assert!(
        unknown.starts_with("Its platform images are not deleted"),
        "{unknown}"
    );
    for sentence in [one, three, unknown] {
        assert!(
            sentence.contains("untagged") && sentence.contains("--delete-untagged"),
            "{sentence}"
        );
    }
}

#[test]
fn a_bulk_pattern_says_what_it_makes_before_it_runs() {
    let pair = |tag: &str, made: &str| (tag.to_owned(), made.to_owned());
    assert_eq!(
        wording::pattern_preview(&[pair("b1", "b1fixed")], 1),
        "Makes b1fixed (from b1)."
    );
    assert_eq!(
        wording::pattern_preview(&[pair("1.0", "1.0-s"), pair("2.0", "2.0-s")], 2),
        "Makes 1.0-s (from 1.0) and 2.0-s (from 2.0)."
    );
    assert_eq!(
        wording::pattern_preview(&[pair("1.0", "1.0-s"), pair("2.0", "2.0-s")], 5),
        "Makes 1.0-s (from 1.0), 2.0-s (from 2.0) and 3 more."
    );
    assert_eq!(wording::pattern_preview(&[], 0), "");
    // A mistyped placeholder is said as such.
    let refused = |made: &str| Tag::parse(made).unwrap_err();
    let mistyped = wording::pattern_error("{Tag}-x", &refused("1.0{Tag}-x"));
    assert!(
        mistyped.ends_with("The placeholder for each selected tag is {tag}, in lower case"),
        "{mistyped}"
    );
    let plain = wording::pattern_error("/x", &refused("1.0/x"));
    assert!(!plain.contains("placeholder"), "{plain}");
}

#[test]
fn an_unreachable_https_address_suggests_plain_http() {
    let secure = wording::unreachable_advice("https://127.0.0.1:5000");
    assert!(
        secure.contains("or the secure (TLS) connection failed"),
        "{secure}"
    );
    assert!(
        secure.contains("connect to http://127.0.0.1:5000 instead"),
        "{secure}"
    );
    assert!(!secure.contains("Nothing answered"), "{secure}");
    let plain = wording::unreachable_advice("http://127.0.0.1:9");
    assert!(
        plain.starts_with("Nothing answered at http://127.0.0.1:9."),
        "{plain}"
    );
    assert!(!plain.contains("https"), "{plain}");
}

#[test]
fn a_manifest_put_back_that_lists_what_is_gone_blames_no_input() {
    let gone = RegistryError::Invalid {
        attempt: attempt(),
        status: 400,
        errors: vec![ErrorEntry {
            code: "MANIFEST_BLOB_UNKNOWN".into(),
            message: "blob unknown to registry".into(),
        }],
    };
    let advice = wording::error(&gone).advice;
    assert!(advice.starts_with("The registry no longer has something this manifest lists"));
    assert!(!advice.contains("you entered"), "{advice}");
    // Any other refusal of what was sent keeps the general advice.
    let other = RegistryError::Invalid {
        attempt: attempt(),
        status: 400,
        errors: vec![],
    };
    assert!(wording::error(&other).advice.contains("you entered"));
}

#[test]
fn a_copy_that_stopped_names_the_step_once() {
    let stopped = |at| ChangeError::CopyStopped {
        at,
        cause: Box::new(ChangeError::Registry(*server_error())),
    };
    let child = digest(2);
    let line = wording::change_error(&stopped(CopyWork::Manifest {
        digest: child.clone(),
        platform: None,
    }))
    .result_line()
    .text;
    // Said once (it was "The copy stopped: The copy stopped before…"), with what
    // failed, where, and that no tag was changed.
    assert_eq!(line.matches("copy stopped").count(), 1, "{line}");
    assert!(
        line.starts_with("The copy stopped: The registry failed copying manifest "),
        "{line}"
    );
    assert!(line.contains(child.short(12)), "{line}");
    assert!(
        line.contains("one the image lists; the tag was not written"),
        "{line}"
    );
    assert!(line.contains("No tag was changed."), "{line}");
    let named = wording::change_error(&stopped(CopyWork::Manifest {
        digest: child.clone(),
        platform: Some("linux/arm64".into()),
    }))
    .result_line()
    .text;
    assert!(
        named.contains(&format!(
            "copying manifest {} (platform linux/arm64), one the image lists",
            child.short(12)
        )),
        "{named}"
    );
    // One piece of advice: the copy again (not "Try again" too), and no first-contact
    // CORS advice for a connection dropped mid-copy.
    let advice = wording::change_error(&stopped(CopyWork::Manifest {
        digest: child.clone(),
        platform: None,
    }))
    .advice;
    assert!(advice.starts_with("Copy again in a moment"), "{advice}");
    assert!(!advice.contains("Try again"), "{advice}");
    let dropped = wording::change_error(&ChangeError::CopyStopped {
        at: CopyWork::Tag(Tag::parse("2.0").unwrap()),
        cause: Box::new(ChangeError::Registry(RegistryError::Network {
            attempt: attempt(),
            detail: "Failed to fetch".into(),
        })),
    })
    .advice;
    assert!(!dropped.contains("CORS"), "{dropped}");
    let blob = wording::change_error(&stopped(CopyWork::Blob(digest(3))))
        .result_line()
        .text;
    assert!(
        blob.contains(&format!("copying blob {}", digest(3).short(12))),
        "{blob}"
    );
    let tag = wording::change_error(&stopped(CopyWork::Tag(Tag::parse("2.0").unwrap())))
        .result_line()
        .text;
    assert!(
        tag.contains("The registry failed writing the tag 2.0"),
        "{tag}"
    );
}

#[test]
fn a_kept_fallback_index_names_in_full_what_it_still_lists() {
    let sbom = digest(4);
    let message = wording::change_error(&ChangeError::ListsUnremoved {
        tag: "sha256-abc".into(),
        unremoved: vec![sbom.clone()],
    });
    let line = message.result_line().text;
    // The whole digest: nothing else in the registry names that SBOM.
    assert!(line.contains(&sbom.to_string()), "{line}");
    assert!(line.contains("stays findable: it lists"), "{line}");
    assert!(line.contains("Nothing was changed."), "{line}");
    assert!(
        message.advice.contains("Undo in the activity list"),
        "{line}"
    );
    // Deleting the kept tag's image alone would strand the SBOM it lists.
    assert!(
        message
            .advice
            .starts_with("What could not be removed stays findable through it."),
        "{}",
        message.advice
    );
    assert!(!message.advice.contains("delete this tag's image"));
}

#[test]
fn a_fallback_index_kept_for_what_was_not_shown_says_so_and_keeps_its_referrers() {
    let extra = digest(5);
    let index = wording::change_error(&ChangeError::ListsUnshown {
        tag: "sha256-abc".into(),
        unshown: vec![extra.clone()],
    });
    let line = index.result_line().text;
    assert!(line.contains(&extra.to_string()), "{line}");
    assert!(line.contains("did not show"), "{line}");
    assert!(line.contains("Nothing was changed."), "{line}");
    assert!(index
        .advice
        .contains("open the fallback tag in the repository's tag list"));
    let sbom = wording::change_error(&ChangeError::KeptWithIndex {
        tag: "sha256-abc".into(),
    });
    let line = sbom.result_line().text;
    assert!(
        line.contains("the fallback tag sha256-abc lists it and is kept"),
        "{line}"
    );
    assert!(line.contains("Nothing was changed."), "{line}");
}

#[test]
fn a_copy_done_says_what_its_undo_leaves_behind() {
    let to = Repository::parse("copies/web").unwrap();
    let tag = Tag::parse("1.0").unwrap();
    let report = |manifests, mounted| CopyReport {
        mounted,
        already_present: 1,
        uploaded: 0,
        manifests,
        manifests_present: 0,
        foreign_skipped: 0,
    };
    let line = wording::copy_done("demo/web:1.0", &to, &tag, &digest(1), &report(3, 2));
    assert!(
        line.ends_with(
            "Undo takes back the tag only: the 3 manifests and 2 blobs this copy added stay \
             in copies/web by digest, untagged, until its garbage collection."
        ),
        "{line}"
    );
    let one = wording::copy_done("demo/web:1.0", &to, &tag, &digest(1), &report(1, 0));
    assert!(
        one.contains("the 1 manifest this copy added stays in"),
        "{one}"
    );
    // Nothing added, nothing left behind to mention.
    let none = wording::copy_done("demo/web:1.0", &to, &tag, &digest(1), &report(0, 0));
    assert!(!none.contains("Undo"), "{none}");
}

#[test]
fn spoken_text_is_the_first_sentence_with_short_digests() {
    let digest = format!("sha256:{}", "ab".repeat(32));
    let summary = format!(
        "demo/web:0.9 now points at {digest} (moved from sha256:fe352c2e1f66). Undo puts it back."
    );
    assert_eq!(
        wording::spoken(&summary),
        "demo/web:0.9 now points at sha256:abababababab… (moved from sha256:fe352c2e1f66)"
    );
    assert_eq!(wording::spoken("Removed a:b."), "Removed a:b");
    assert_eq!(wording::spoken("sha256:"), "sha256:");
    assert_eq!(
        wording::short_digests(&format!("Gone: {digest}. Then {digest}.")),
        "Gone: sha256:abababababab…. Then sha256:abababababab…."
    );
}

#[test]
fn a_clause_becomes_a_sentence() {
    assert_eq!(
        wording::sentence("signed in as bob: read-only"),
        "Signed in as bob: read-only"
    );
    assert_eq!(wording::sentence(""), "");
}

#[test]
fn a_referrers_copy_says_what_its_undo_leaves_as_an_image_copy_does() {
    let to = Repository::parse("copies/web").unwrap();
    assert_eq!(
        wording::referrers_copy_undo(&to),
        "Undo takes back the tags they got; what was copied stays in copies/web by digest, \
         untagged, until its garbage collection."
    );
}

#[test]
fn a_headline_reads_as_a_clause_and_a_clause_as_a_sentence() {
    assert_eq!(
        wording::clause("The registry failed"),
        "the registry failed"
    );
    assert_eq!(wording::sentence("signed in as ada"), "Signed in as ada");
    assert_eq!(wording::clause(""), "");
}

/// A list of `count` referrers found through the API, as `api` and `warnings` say.
fn referrers_found(count: usize, api: ApiSupport, warnings: Vec<ReferrerWarning>) -> ReferrerList {
    ReferrerList {
        subject: digest(1),
        referrers: (0..count)
            .map(|n| Referrer {
                kind: ReferrerKind::Signature,
                artifact_type: None,
                media_type: None,
                digest: digest(10 + n as u8),
                size: 100,
                annotations: Default::default(),
                found: vec![FoundVia::Api],
            })
            .collect(),
        api,
        ignored: 0,
        warnings,
    }
}

#[test]
fn the_offer_to_take_referrers_along_says_when_the_list_may_be_incomplete() {
    // All there is: the words the end-to-end tests look for.
    let complete = referrers_found(2, ApiSupport::Supported, vec![]);
    assert_eq!(
        wording::referrers_along("remove", &complete, true),
        "Also remove its 2 referrers (signatures, SBOMs, attestations) and the fallback \
         tag that lists them"
    );
    let one = referrers_found(1, ApiSupport::Unsupported, vec![]);
    assert_eq!(
        wording::referrers_along("copy", &one, false),
        "Also copy its 1 referrer (signatures, SBOMs, attestations)"
    );
    // The API gave no answer the page could read: those found, and why there may be more.
    let no_answer = referrers_found(2, ApiSupport::NoAnswer((*server_error()).clone()), vec![]);
    assert_eq!(
        wording::referrers_along("remove", &no_answer, false),
        "Also remove the 2 referrers found (signatures, SBOMs, attestations); the list may \
         be incomplete: the referrers API gave no answer this page could read"
    );
    let failed = referrers_found(1, ApiSupport::Failed((*server_error()).clone()), vec![]);
    assert!(
        wording::referrers_along("copy", &failed, false).starts_with(
            "Also copy the 1 referrer found (signatures, SBOMs, attestations); the list may be \
         incomplete: the referrers API could not be asked"
        )
    );
    // Something skipped: the first thing said, the rest counted.
    let warned = referrers_found(
        3,
        ApiSupport::Supported,
        vec![
            ReferrerWarning::TooManyPages,
            ReferrerWarning::PageRepeats,
            ReferrerWarning::LaterPageNotIndex,
        ],
    );
    assert_eq!(
        wording::referrers_along("remove", &warned, true),
        "Also remove the 3 referrers found (signatures, SBOMs, attestations) and the \
         fallback tag that lists them; the list may be incomplete: the referrers API has \
         more than 100 pages; only those were read (and 2 more problems)"
    );
}

#[test]
fn an_invalid_name_a_registry_lists_is_shown_bounded_and_with_its_hidden_characters_named() {
    let long = format!("evil\u{7}\u{202E}{}", "x".repeat(100_000));
    let repository_gap =
        wording::find_gap(&Gap::InvalidRepository { name: long.clone() }, None).text;
    let tag_gap = wording::find_gap(
        &Gap::InvalidTag {
            repository: Repository::parse("team/app").unwrap(),
            tag: long,
        },
        None,
    )
    .text;
    for text in [&repository_gap, &tag_gap] {
        assert!(text.chars().count() < 500, "{} characters", text.len());
        assert!(!text.chars().any(|c| c.is_control()), "{text:?}");
        assert!(text.contains("\"evil⟨U+0007⟩⟨U+202E⟩xxx"), "{text:?}");
        assert!(text.contains("x…\""), "{text:?}");
    }
    assert!(tag_gap.starts_with("team/app lists \"evil"));
    assert!(tag_gap.ends_with("\", which is not a valid tag; it was not checked."));
    assert!(repository_gap.starts_with("The catalog lists \"evil"));
    // A short name is shown whole, as before.
    assert_eq!(
        wording::find_gap(&Gap::InvalidRepository { name: "A".into() }, None).text,
        "The catalog lists \"A\", which is not a valid repository name; it was not searched."
    );
}

#[test]
fn a_refusal_to_a_signed_in_user_names_the_account_on_every_screen_that_words_it() {
    let refused = RegistryError::Unauthorized {
        attempt: attempt(),
        challenge: None,
        errors: Vec::new(),
    };
    assert_eq!(
        wording::error_for(&refused, None).headline,
        "Sign-in required"
    );
    let for_alice = wording::error_for(&refused, Some("alice"));
    assert_eq!(for_alice.headline, "Refused for alice");
    assert!(
        for_alice.advice.contains("from alice"),
        "{}",
        for_alice.advice
    );
    // Other failures read the same whoever is signed in.
    let denied = RegistryError::Denied {
        attempt: attempt(),
        errors: Vec::new(),
    };
    assert_eq!(
        wording::error_for(&denied, Some("alice")),
        wording::error(&denied)
    );
    // A search's gap line says it as the panels do.
    let gap = Gap::TagsUnreadable {
        repository: Repository::parse("team/app").unwrap(),
        problem: refused,
    };
    let line = wording::find_gap(&gap, Some("alice")).text;
    assert!(
        line.starts_with("The tags of team/app could not be read: Refused for alice."),
        "{line}"
    );
    assert!(!line.contains("Sign-in required"), "{line}");
    assert!(wording::find_gap(&gap, None)
        .text
        .contains("could not be read: Sign-in required."));
}

/// A write that failed without a definite refusal and, read again, shows the old
/// state may still land: its Undo is kept, and the outcome says both.
#[test]
fn a_write_not_there_when_read_again_but_perhaps_still_landing_keeps_undo_in_words() {
    let message = wording::change_error(&ChangeError::AfterWrite {
        cause: Box::new(ChangeError::NotAppliedAfterFailure {
            subject: "app:2.0".into(),
            now: ReadAgain::Tag(None),
            cause: server_error(),
        }),
        written: Box::new(Written::Tag(tag_write())),
    });
    assert_eq!(
        message.account,
        "Read again after the failure, app:2.0 does not exist"
    );
    assert_eq!(
        message.outcome,
        "Not applied when read again, but the request may still complete on the \
         registry: Undo stays available."
    );
}

// Signing in from a page on another origin: what the form, the connection check and
// the account badge say when the registry's CORS settings stand in the way.

fn unauthorized(challenge: Option<&str>) -> RegistryError {
    RegistryError::Unauthorized {
        attempt: Attempt {
            method: Method::Get,
            url: "https://reg.example/v2/".into(),
        },
        challenge: challenge.map(str::to_owned),
        errors: vec![],
    }
}

#[test]
fn a_401_whose_challenge_the_page_cannot_read_is_a_cors_setting_not_a_sign_in() {
    use tagdeck::wording::{is_cross_origin, no_sign_in_way, NoSignInWay};
    let registry = "https://reg.example";
    let page = "https://console.example";
    assert!(is_cross_origin(registry, page));
    assert!(!is_cross_origin(
        "https://reg.example:443",
        "https://REG.example"
    ));
    assert!(!is_cross_origin(
        "http://127.0.0.1:5000/sub",
        "http://127.0.0.1:5000"
    ));
    assert!(is_cross_origin(
        "http://127.0.0.1:5000",
        "http://127.0.0.1:8080"
    ));

    // Unreadable challenge, another origin, no login method known: CORS hides it.
    assert_eq!(
        no_sign_in_way(&unauthorized(None), false, true),
        Some(NoSignInWay::Hidden)
    );
    // A login method already known: the form can sign in.
    assert_eq!(no_sign_in_way(&unauthorized(None), true, true), None);

    let (headline, advice) = wording::challenge_hidden_message(registry);
    assert!(!headline.contains("Sign-in required"), "{headline}");
    assert!(advice.contains("Access-Control-Expose-Headers"), "{advice}");
    assert!(advice.contains("WWW-Authenticate"), "{advice}");
    assert!(advice.contains(registry), "{advice}");
    assert_eq!(
        wording::no_sign_in_way_message(registry, &NoSignInWay::Hidden),
        (headline, advice)
    );
}

/// A 401 that names no way this console signs in, or none at all, is said at the
/// connection check, not after the user typed a password into a form that could
/// send nothing.
#[test]
fn a_401_naming_no_way_to_sign_in_here_is_told_up_front_not_as_a_sign_in() {
    use tagdeck::wording::{no_sign_in_way, no_sign_in_way_message, NoSignInWay};
    let registry = "https://reg.example";
    for header in ["Negotiate", r#"Bearer service="registry""#] {
        // Read, but not understood: the same on either origin, not a CORS setting.
        for cross_origin in [false, true] {
            let way = no_sign_in_way(&unauthorized(Some(header)), false, cross_origin);
            assert_eq!(way, Some(NoSignInWay::Unsupported(header.into())));
        }
        let (headline, advice) =
            no_sign_in_way_message(registry, &NoSignInWay::Unsupported(header.into()));
        assert!(headline.contains("does not offer"), "{headline}");
        assert!(!headline.contains("Sign-in required"), "{headline}");
        assert!(advice.contains(registry), "{advice}");
        // The registry's own words, so the reader sees what it asks for.
        assert!(advice.contains(header), "{advice}");
        assert!(advice.contains("Basic and Docker token auth"), "{advice}");
        assert!(!advice.contains("Access-Control"), "{advice}");
    }
    // What the registry sent is shown, not obeyed.
    let (_, advice) =
        no_sign_in_way_message(registry, &NoSignInWay::Unsupported("X\u{202E}Y".into()));
    assert!(advice.contains("X⟨U+202E⟩Y"), "{advice}");
    // Bounded: a header of kilobytes is cut to a line.
    let long = format!("Negotiate {}", "A".repeat(10_000));
    let (_, advice) = no_sign_in_way_message(registry, &NoSignInWay::Unsupported(long));
    assert!(
        advice.len() < 1_000 && advice.contains("AAA…"),
        "{}",
        advice.len()
    );

    // No challenge on this page's own origin: every header is readable, none was sent.
    assert_eq!(
        no_sign_in_way(&unauthorized(None), false, false),
        Some(NoSignInWay::Unsaid)
    );
    let (headline, advice) = no_sign_in_way_message(registry, &NoSignInWay::Unsaid);
    assert!(headline.contains("without saying how"), "{headline}");
    assert!(
        advice.contains("without a WWW-Authenticate header"),
        "{advice}"
    );
    assert!(!advice.contains("Access-Control"), "{advice}");

    // Any other failure is not about signing in.
    let server = RegistryError::Server {
        attempt: Attempt {
            method: Method::Get,
            url: format!("{registry}/v2/"),
        },
        status: 500,
        errors: vec![],
    };
    assert_eq!(no_sign_in_way(&server, false, false), None);
}

/// distribution with a login answers the browser's preflight with 401 even when its
/// CORS headers allow the page: a GET that needs no preflight, answered readably
/// with 401, tells that from a missing CORS setting, and the fix is one origin.
#[test]
fn a_login_that_refuses_the_preflight_is_told_apart_from_missing_cors_headers() {
    use tagdeck::wording::{login_refuses_preflight, login_refuses_preflight_message};
    assert!(login_refuses_preflight(Some(401)));
    // No readable answer: the CORS headers are missing, as before.
    assert!(!login_refuses_preflight(None));
    // Readable without a login: the preflight fails for another CORS setting.
    assert!(!login_refuses_preflight(Some(200)));
    assert!(!login_refuses_preflight(Some(404)));

    let registry = "http://127.0.0.1:5000";
    let page = "http://127.0.0.1:8080";
    let (headline, advice) = login_refuses_preflight_message(registry, page);
    assert!(headline.contains("asks for a login"), "{headline}");
    assert!(!headline.contains("(CORS)"), "{headline}");
    assert!(advice.contains(registry), "{advice}");
    assert!(advice.contains(page), "{advice}");
    assert!(advice.contains("OPTIONS"), "{advice}");
    assert!(advice.contains("with 401"), "{advice}");
    assert!(
        advice.contains("No CORS setting of distribution"),
        "{advice}"
    );
    assert!(advice.contains("reverse proxy"), "{advice}");
    // Not the headers to add: the page has them already.
    assert!(!advice.contains("add these headers"), "{advice}");
}

fn check<'a>(result: Result<(), &'a RegistryError>) -> wording::SignInCheck<'a> {
    wording::SignInCheck {
        result,
        rejected: false,
        method_known: true,
        cross_origin: true,
        answers_anonymously: false,
    }
}

#[test]
fn a_sign_in_whose_method_stayed_unknown_says_it_was_not_sent_and_why() {
    let registry = "https://reg.example";
    let again = unauthorized(None);
    for result in [Err(&again), Ok(())] {
        let failure = wording::sign_in_failure(
            registry,
            &wording::SignInCheck {
                method_known: false,
                ..check(result)
            },
        )
        .expect("a failure");
        assert!(!failure.0.contains("Sign-in required"), "{failure:?}");
        assert!(failure.0.contains("could not be sent"), "{failure:?}");
        assert!(
            failure
                .1
                .contains("Access-Control-Expose-Headers: WWW-Authenticate"),
            "{failure:?}"
        );
    }
    // Same origin: every header is readable, the registry just named no method.
    let failure = wording::sign_in_failure(
        registry,
        &wording::SignInCheck {
            method_known: false,
            cross_origin: false,
            ..check(Err(&again))
        },
    )
    .expect("a failure");
    assert!(failure.1.contains("WWW-Authenticate"), "{failure:?}");
    assert!(!failure.1.contains("Access-Control"), "{failure:?}");
    // A challenge read but not understood: not a CORS setting.
    let negotiate = unauthorized(Some("Negotiate"));
    let failure = wording::sign_in_failure(
        registry,
        &wording::SignInCheck {
            method_known: false,
            ..check(Err(&negotiate))
        },
    )
    .expect("a failure");
    assert!(!failure.1.contains("Access-Control"), "{failure:?}");
    // Known method, accepted: signed in.
    assert_eq!(wording::sign_in_failure(registry, &check(Ok(()))), None);
    // Refused credentials say so first.
    let refused = wording::sign_in_failure(
        registry,
        &wording::SignInCheck {
            rejected: true,
            ..check(Ok(()))
        },
    )
    .expect("a failure");
    assert_eq!(refused.0, "Wrong user name or password");
}

#[test]
fn a_network_failure_right_after_signing_in_where_anonymous_requests_work_points_to_allow_headers()
{
    let registry = "https://reg.example";
    let network = RegistryError::Network {
        attempt: Attempt {
            method: Method::Get,
            url: format!("{registry}/v2/"),
        },
        detail: "TypeError: Failed to fetch".into(),
    };
    let failure = wording::sign_in_failure(
        registry,
        &wording::SignInCheck {
            answers_anonymously: true,
            ..check(Err(&network))
        },
    )
    .expect("a failure");
    assert!(!failure.1.contains("down or restarting"), "{failure:?}");
    assert!(
        failure
            .1
            .contains("Access-Control-Allow-Headers: Authorization"),
        "{failure:?}"
    );
    // No credentials went out (no method known): not the Authorization header.
    let failure = wording::sign_in_failure(
        registry,
        &wording::SignInCheck {
            answers_anonymously: true,
            method_known: false,
            ..check(Err(&network))
        },
    )
    .expect("a failure");
    assert!(
        !failure.1.contains("Access-Control-Allow-Headers"),
        "{failure:?}"
    );
    // Nothing answers at all any more: the registry may well be down.
    let failure = wording::sign_in_failure(registry, &check(Err(&network))).expect("a failure");
    assert_eq!(failure.0, wording::error(&network).headline);
    assert!(failure.1.contains("down or restarting"), "{failure:?}");
}

#[test]
fn the_account_badge_says_when_the_registry_no_longer_accepts_the_sign_in() {
    use tagdeck::oci::auth::SessionStatus;
    use tagdeck::wording::{account_badge, AccountBadge};
    let signed_in = SessionStatus {
        username: Some("alice".into()),
        login_seen: true,
        ..SessionStatus::default()
    };
    assert_eq!(
        account_badge(&signed_in),
        Some(AccountBadge::SignedIn("alice".into()))
    );
    let rejected = SessionStatus {
        credentials_rejected: true,
        ..signed_in
    };
    assert_eq!(
        account_badge(&rejected),
        Some(AccountBadge::SignIn(
            "alice's sign-in is no longer accepted".into()
        ))
    );
    let asked = SessionStatus {
        login_seen: true,
        ..SessionStatus::default()
    };
    assert_eq!(
        account_badge(&asked),
        Some(AccountBadge::SignIn("Not signed in".into()))
    );
    let failed = SessionStatus {
        failed_sign_in: Some("Signing in as bob failed: Wrong user name or password".into()),
        ..SessionStatus::default()
    };
    assert_eq!(
        account_badge(&failed),
        Some(AccountBadge::SignIn(
            "Signing in as bob failed: Wrong user name or password".into()
        ))
    );
    assert_eq!(account_badge(&SessionStatus::default()), None);
}

#[test]
fn a_bulk_summary_tells_items_not_run_from_failed_ones() {
    let what = "Bulk remove tags in app";
    assert_eq!(
        wording::bulk_summary(what, 1, 0, 2, 3),
        "Bulk remove tags in app: 1 done, 2 not run (cancelled), of 3"
    );
    assert_eq!(
        wording::bulk_summary(what, 1, 1, 1, 3),
        "Bulk remove tags in app: 1 done, 1 failed, 1 not run (cancelled), of 3"
    );
    // Nothing cancelled: as before.
    assert_eq!(
        wording::bulk_summary(what, 1, 2, 0, 3),
        "Bulk remove tags in app: 1 done, 2 failed, of 3"
    );
    assert_eq!(
        wording::bulk_summary(what, 3, 0, 0, 3),
        "Bulk remove tags in app: 3 done, 0 failed, of 3"
    );
}

#[test]
fn a_tag_gone_with_an_image_a_clean_up_deleted_is_told_as_such() {
    let lost = KeptLost {
        digest: digest(1),
        error: ChangeError::TagsLost {
            digest: digest(1),
            tags: vec!["keep".into()],
        },
    };
    assert_eq!(
        wording::deleted_with(&lost),
        ResultLine::from(format!(
            "Check after deleting the image {}: keep pointed at it since the plan was read \
             and went with it; Undo puts the image back with that tag",
            digest(1).short(12)
        ))
    );
    // Not the tag removal's words ("though only one tag was removed").
    assert!(!wording::deleted_with(&lost).text.contains("only one tag"));
}

fn tag_count(listing: TagListState, total: usize) -> TagCount {
    TagCount {
        listing,
        total,
        shown: total,
        resolved: total,
        rechecking: 0,
        digests_failed: 0,
        images_failed: 0,
    }
}

#[test]
fn an_empty_tag_list_that_may_be_incomplete_is_not_called_empty() {
    let complete = TagListState::Done {
        may_be_incomplete: false,
    };
    assert_eq!(
        wording::tag_count(&tag_count(complete, 0)),
        "This repository has no tags."
    );
    let incomplete = TagListState::Done {
        may_be_incomplete: true,
    };
    let said = wording::tag_count(&tag_count(incomplete, 0));
    assert!(!said.contains("no tags"), "{said}");
    // The banner below says why it may be incomplete: the count points at it.
    assert!(
        said.contains("may be incomplete") && said.contains("see below"),
        "{said}"
    );
    // With tags, the count is the count; the banner says the rest.
    assert_eq!(wording::tag_count(&tag_count(incomplete, 3)), "3 tags");
}

#[test]
fn the_tag_count_counts_the_images_that_could_not_be_read() {
    let done = TagListState::Done {
        may_be_incomplete: false,
    };
    let count = |digests_failed, images_failed| {
        wording::tag_count(&TagCount {
            digests_failed,
            images_failed,
            ..tag_count(done, 12)
        })
    };
    assert_eq!(count(0, 0), "12 tags");
    assert_eq!(
        count(0, 1),
        "12 tags · the image of 1 tag could not be read"
    );
    assert_eq!(
        count(1, 3),
        "12 tags · the digest of 1 tag could not be read · the images of 3 tags could not be read"
    );
}
