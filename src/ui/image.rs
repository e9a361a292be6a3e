//! One image (by tag or digest): digest, media type, platforms of an index, config,
//! layers, the manifest itself, and ready-to-copy pull commands.

use std::collections::HashMap;

use futures_util::StreamExt;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::model::format::{human_size, short_timestamp};
use crate::model::registry_address::pull_host;
use crate::model::route::View;
use crate::net;
use crate::net::RegistryHttp;
use crate::oci::client::{DigestContent, Registry, StoredBlob};
use crate::oci::error::RegistryError;
use crate::oci::image_summary::{entry_label, index_kind, listed_as, ImageKind, PlatformFacts};
use crate::oci::manifest::{ImageConfig, Manifest, ManifestKind};
use crate::oci::media;
use crate::oci::names::{Digest, Reference, Repository, Tag};
use crate::ui::browser;
use crate::ui::change_dialog::{use_dialog, ChangeRequest};
use crate::ui::copy::CopyButton;
use crate::ui::error_view::{failure_message, ErrorPanel};
use crate::ui::referrers::ReferrersSection;
use crate::ui::router::Link;
use crate::ui::sign_in::{blocked_reasons, AccessNotice};
use crate::wording;

#[derive(Clone)]
struct ImageDetails {
    manifest: Manifest,
    /// A config that cannot be read must not hide the manifest that could.
    config: Result<Option<ImageConfig>, RegistryError>,
}

/// What the page's address names: an image, or (by digest) a blob that is none.
#[derive(Clone)]
enum Loaded {
    Image(Box<ImageDetails>),
    Blob(StoredBlob),
}

async fn load_image(
    registry: Registry<RegistryHttp>,
    repository: Repository,
    reference: Reference,
) -> Result<Loaded, RegistryError> {
    let manifest = match reference {
        Reference::Digest(digest) => match registry.manifest_or_blob(&repository, &digest).await? {
            DigestContent::Manifest(manifest) => *manifest,
            DigestContent::Blob(blob) => return Ok(Loaded::Blob(blob)),
        },
        tag => registry.manifest_get(&repository, tag).await?,
    };
    let config = registry.image_config_of(&repository, &manifest).await;
    Ok(Loaded::Image(Box::new(ImageDetails { manifest, config })))
}

#[component]
pub fn ImageView(
    registry: String,
    repository: String,
    reference: String,
    index: Option<String>,
) -> impl IntoView {
    let parsed = match Repository::parse(&repository) {
        Ok(parsed) => parsed,
        Err(error) => {
            return view! { <p class="error-panel" role="alert">{wording::name_error(&error)}</p> }
                .into_any()
        }
    };
    let target = match Reference::parse(&reference) {
        Ok(target) => target,
        Err(error) => {
            return view! {
                <p class="error-panel" role="alert">
                    {format!("The address names neither a tag nor a digest: {}", wording::name_error(&error))}
                </p>
            }
            .into_any();
        }
    };
    let by_digest = matches!(target, Reference::Digest(_));
    let details = {
        let (registry, parsed) = (registry.clone(), parsed.clone());
        let client = browser::client_for_this_view();
        let changes = crate::ui::activity::use_changes();
        LocalResource::new(move || {
            // Read again after each change made in this tab (the tag may have moved).
            changes.version.track();
            let registry = net::registry(&registry, client.clone());
            load_image(registry, parsed.clone(), target.clone())
        })
    };
    // The image this page last showed: when its tag goes (removed in this tab, say),
    // the page points to it by digest instead of only saying "not found".
    let last_shown = StoredValue::new(None::<Digest>);
    let title = if by_digest {
        format!("{repository}@{reference}")
    } else {
        format!("{repository}:{reference}")
    };
    view! {
        <section class="panel image" aria-labelledby="image-heading">
            <h2 id="image-heading"><code>{title}</code></h2>
            <Suspense fallback=|| view! { <p class="loading" role="status">"Loading the manifest…"</p> }>
                {move || {
                    let (registry, repository, reference, index) =
                        (registry.clone(), parsed.clone(), reference.clone(), index.clone());
                    details
                        .get()
                        .map(move |result| match result {
                            Ok(Loaded::Image(details)) => {
                                last_shown.set_value(Some(details.manifest.digest.clone()));
                                view! { <ImageBody details=*details registry repository reference by_digest index /> }
                                    .into_any()
                            }
                            Ok(Loaded::Blob(blob)) => {
                                view! { <NotAnImage repository reference blob /> }.into_any()
                            }
                            Err(error) => match (&error, last_shown.get_value()) {
                                (RegistryError::NotFound { .. }, Some(digest)) if !by_digest => {
                                    view! { <TagGone registry repository reference digest /> }.into_any()
                                }
                                _ => {
                                    let retry = Callback::new(move |()| details.refetch());
                                    view! { <ErrorPanel error retry /> }.into_any()
                                }
                            },
                        })
                }}
            </Suspense>
        </section>
    }
    .into_any()
}

/// The tag this page showed is gone (read again after a change in this tab): what
/// that means, and the ways on. Whether the image it pointed at is still there is
/// read too: deleted with it, it is not offered.
#[component]
fn TagGone(
    registry: String,
    repository: Repository,
    reference: String,
    digest: Digest,
) -> impl IntoView {
    let by_digest = View::Image {
        repository: repository.to_string(),
        reference: digest.to_string(),
        index: None,
    };
    let tags = View::Repository {
        name: repository.to_string(),
    };
    let shown = short(&digest);
    let image_gone = {
        let client = browser::client_for_this_view();
        let (repository, digest) = (repository.clone(), digest.clone());
        LocalResource::new(move || {
            let registry = net::registry(&registry, client.clone());
            let (repository, digest) = (repository.clone(), digest.clone());
            async move {
                matches!(
                    registry.manifest_head(&repository, digest).await,
                    Err(RegistryError::NotFound { .. })
                )
            }
        })
    };
    let gone = move || image_gone.get().unwrap_or(false);
    let (about_image, open_shown) = (shown.clone(), shown);
    view! {
        <div class="error-panel tag-gone" role="status">
            <p>
                <strong>{format!("{repository}:{reference} no longer exists.")}</strong>
                {move || if gone() {
                    format!(" The image it pointed at, {about_image}, is not in this repository any more either (the activity list says what this tab changed).")
                } else {
                    format!(" It was removed or moved away (the activity list says what this tab changed). The image it pointed at, {about_image}, may still be in the registry, pullable by digest.")
                }}
            </p>
            <p>
                <Show when=move || !gone()>
                    <Link view=by_digest.clone()>{format!("Open {open_shown} by digest")}</Link>
                    " · "
                </Show>
                <Link view=tags>{format!("The tags of {repository}")}</Link>
            </p>
        </div>
    }
}

/// The address names a digest the repository stores as a blob, not as a manifest: a
/// layer or an image configuration, which Find places in the images that have it.
#[component]
fn NotAnImage(repository: Repository, reference: String, blob: StoredBlob) -> impl IntoView {
    let size = blob
        .size
        .map(|bytes| format!(" ({})", human_size(bytes)))
        .unwrap_or_default();
    let find = View::FindDigest {
        digest: reference.clone(),
    };
    let tags = View::Repository {
        name: repository.to_string(),
    };
    view! {
        <div class="error-panel not-an-image" role="status">
            <p>
                <strong>"This digest names a layer or an image configuration, not an image."</strong>
                {format!(" {repository} stores it as a blob{size}, with no manifest of that digest, so there is no image here to show or pull. Find lists the images that have it, and their tags.")}
            </p>
            <p>
                <Link view=find>"Find the images that have it"</Link>
                " · "
                <Link view=tags>{format!("The tags of {repository}")}</Link>
            </p>
        </div>
    }
}

#[component]
fn ImageBody(
    details: ImageDetails,
    registry: String,
    repository: Repository,
    reference: String,
    by_digest: bool,
    index: Option<String>,
) -> impl IntoView {
    let ImageDetails { manifest, config } = details;
    let host = pull_host(&registry);
    // Shown (and pulled) by the digest it was opened by, a sha512 one too; the
    // changes below go by its sha256 digest, as the registry reports it for tags.
    let digest = manifest.digest_as_addressed(&reference).to_string();
    // Find matches what tags and indexes name: the sha256 digest.
    let find_by = manifest.digest.to_string();
    let media_type = manifest.media_type();
    // Only host[:port] and names that were validated go into a command users paste
    // into a shell.
    let pull_by_digest = host
        .as_ref()
        .map(|host| format!("docker pull {host}/{repository}@{digest}"));
    let shown_tag = (!by_digest).then(|| Tag::parse(&reference).ok()).flatten();
    let pull_by_tag = host.as_ref().and_then(|host| {
        shown_tag
            .as_ref()
            .map(|tag| format!("docker pull {host}/{repository}:{tag}"))
    });
    let kind = manifest.kind();
    let dialog = use_dialog();
    let source = if by_digest {
        manifest.digest.short(12).to_owned()
    } else {
        reference.clone()
    };
    let (add, copy, remove) = (
        ChangeRequest::AddTag {
            repository: repository.clone(),
            digest: manifest.digest.clone(),
            source: source.clone(),
            seen_tag: shown_tag.clone(),
        },
        ChangeRequest::Copy {
            repository: repository.clone(),
            digest: manifest.digest.clone(),
            source,
            tag: shown_tag.clone(),
        },
        shown_tag.map(|tag| ChangeRequest::Remove {
            repository: repository.clone(),
            tag,
            digest: manifest.digest.clone(),
        }),
    );
    let (add_blocked, remove_blocked) = blocked_reasons(repository.as_str());
    view! {
        <AccessNotice registry=registry.clone() repository=repository.to_string() />
        <div class="image-actions" role="group" aria-label="Change tags">
            <button
                type="button"
                disabled=move || add_blocked.get().is_some()
                title=move || add_blocked.get()
                on:click=move |_| dialog.open(add.clone())
            >"Add tag"</button>
            // A copy writes to another repository only: the registry decides that one.
            <button type="button" on:click=move |_| dialog.open(copy.clone())>"Copy to repository"</button>
            {remove.map(|remove| view! {
                <button
                    type="button"
                    disabled=move || remove_blocked.get().is_some()
                    title=move || remove_blocked.get()
                    on:click=move |_| dialog.open(remove.clone())
                >"Remove tag"</button>
            })}
        </div>
        <dl class="facts">
            <dt>"Digest"</dt>
            <dd>
                <code class="full-digest">{digest.clone()}</code>
                <CopyButton text=digest.clone() label="Copy digest" />
                <Link class="find-where-used" view=View::FindDigest { digest: find_by.clone() }>"Find where used"</Link>
            </dd>
            {index.map(|index| view! {
                <PartOf registry=registry.clone() repository=repository.clone() index child=manifest.digest.clone() />
            })}
            <dt>"Media type"</dt>
            <dd>
                {media::describe(&media_type).to_owned()}
                " "
                <code class="muted">{media_type.clone()}</code>
            </dd>
            <dt>"Manifest size"</dt>
            <dd>{human_size(manifest.bytes.len() as u64)}</dd>
            {manifest
                .view
                .artifact_type
                .clone()
                .map(|t| view! { <dt>"Artifact type"</dt><dd><code>{t}</code></dd> })}
            {manifest
                .view
                .subject
                .clone()
                .map(|s| {
                    view! {
                        <dt>"Refers to"</dt>
                        <dd>
                            <Link view=View::Image {
                                repository: repository.to_string(),
                                reference: s.digest.to_string(),
                                index: None,
                            }>{s.digest.to_string()}</Link>
                        </dd>
                    }
                })}
        </dl>
        <ReferrersSection registry=registry.clone() repository=repository.clone() subject=manifest.digest.clone() />
        <h3>"Pull"</h3>
        <ul class="pull-commands">
            {pull_by_tag
                .map(|command| {
                    view! {
                        <li>
                            <code>{command.clone()}</code>
                            <CopyButton text=command label="Copy pull command by tag" />
                        </li>
                    }
                })}
            {match pull_by_digest {
                Some(command) => view! {
                    <li>
                        <code>{command.clone()}</code>
                        <CopyButton text=command label="Copy pull command by digest" />
                    </li>
                }.into_any(),
                None => view! {
                    <li class="hint">
                        "No pull command: the registry's address is not a plain host[:port] (it has a path or unusual characters), so docker could not use it."
                    </li>
                }.into_any(),
            }}
        </ul>
        {match kind {
            ManifestKind::Index => view! {
                <Platforms manifest=manifest.clone() registry=registry.clone() repository=repository.clone() reference=reference.clone() />
            }.into_any(),
            ManifestKind::Image => {
                view! {
                    <Layers manifest=manifest.clone() />
                    <h3>"Configuration"</h3>
                    {manifest.view.config.as_ref().map(|c| view! { <ConfigDigest digest=c.digest.clone() /> })}
                    {match config {
                        Ok(config) => config.map(|config| view! { <ConfigFacts config /> }).into_any(),
                        Err(error) => view! {
                            <p class="cell-error">"The image configuration (created, labels, command, history) could not be read:"</p>
                            <ErrorPanel error />
                        }.into_any(),
                    }}
                }
                    .into_any()
            }
            ManifestKind::Other => {
                view! {
                    <p class="hint">
                        "This is not an image or an index that Tagdeck knows; the manifest is shown as it is."
                    </p>
                }
                    .into_any()
            }
        }}
        <KeyValues title="Annotations" entries=manifest.view.annotations.clone().into_iter().collect() />
        <details class="manifest-json" open=matches!(kind, ManifestKind::Other)>
            <summary>"Manifest JSON"</summary>
            <pre aria-label="Manifest JSON">{manifest.pretty_json()}</pre>
        </details>
    }
}

/// Rows of an index's table, each with its manifest (and config) read: a real
/// multi-arch image lists a few dozen; a hostile index of 4 MiB lists tens of
/// thousands, which would be as many requests and rows.
const MAX_PLATFORM_ROWS: usize = 256;

#[component]
fn Platforms(
    manifest: Manifest,
    registry: String,
    repository: Repository,
    reference: String,
) -> impl IntoView {
    // Filled in as each platform is read. Not a resource: the page above must not
    // wait for the slowest platform (a resource would hold the whole page's Suspense).
    let facts = RwSignal::new(HashMap::<Digest, Result<PlatformFacts, RegistryError>>::new());
    let listed = manifest.view.manifests.len();
    let mut entries = manifest.view.manifests.clone();
    entries.truncate(MAX_PLATFORM_ROWS);
    let not_shown = (listed > entries.len()).then(|| {
        format!(
            "The first {} of {listed} entries; the manifest JSON below lists them all.",
            entries.len()
        )
    });
    {
        let children: Vec<Digest> = entries.iter().map(|c| c.digest.clone()).collect();
        let repository = repository.clone();
        let registry = net::registry(&registry, browser::client_for_this_view());
        spawn_local(async move {
            let mut each = std::pin::pin!(registry.platform_facts(&repository, children));
            while let Some((digest, found)) = each.next().await {
                if facts
                    .try_update(|facts| facts.insert(digest, found))
                    .is_none()
                {
                    break; // the page is gone
                }
            }
        });
    }
    // One cell of a platform's row, once its manifest (and config) were read.
    let cell = move |digest: Digest, show: fn(&PlatformFacts) -> String| {
        move || {
            facts.with(|facts| match facts.get(&digest) {
                None => "…".to_owned(),
                Some(Ok(found)) => show(found),
                Some(Err(error)) => unavailable(error),
            })
        }
    };
    let size_of = |found: &PlatformFacts| human_size(found.size);
    let created_of = |found: &PlatformFacts| match &found.created {
        Ok(Some(created)) => short_timestamp(created),
        // Attestations and some builders record no date.
        Ok(None) => "not recorded".to_owned(),
        Err(error) => unavailable(error),
    };
    // An index of artifacts (the referrers' fallback tag) lists no platforms.
    let heading = match index_kind(&manifest) {
        ImageKind::Index { .. } => "Manifests",
        _ => "Platforms",
    };
    view! {
        <h3>{heading}</h3>
        {not_shown.map(|text| view! { <p class="hint" role="status">{text}</p> })}
        // A narrow window scrolls the table, not the page.
        <div class="table-scroll">
        <table class="platforms" aria-label=heading>
            <thead>
                <tr>
                    <th scope="col">"Platform"</th>
                    <th scope="col">"Digest"</th>
                    <th scope="col">"Created"</th>
                    <th scope="col">"Image size"</th>
                    <th scope="col">"Manifest size"</th>
                    <th scope="col">"Media type"</th>
                </tr>
            </thead>
            <tbody>
                {entries
                    .into_iter()
                    .map(|child| {
                        let platform = entry_label(&child);
                        let size = cell(child.digest.clone(), size_of);
                        let created = cell(child.digest.clone(), created_of);
                        let open = View::Image {
                            repository: repository.to_string(),
                            reference: child.digest.to_string(),
                            index: Some(reference.clone()),
                        };
                        let full = child.digest.to_string();
                        let shown_digest = short(&child.digest);
                        let title = full.clone();
                        let copy_label = format!("Copy the digest of {platform}");
                        let platform_link = platform.clone();
                        view! {
                            <tr data-platform=platform.clone()>
                                <td><Link class="child-platform" view=open.clone()>{platform_link}</Link></td>
                                <td>
                                    <Link class="child-digest" view=open>
                                        <code title=title>{shown_digest}</code>
                                    </Link>
                                    " "
                                    <CopyButton text=full label=copy_label />
                                </td>
                                <td class="platform-created">{created}</td>
                                <td class="image-size">{size}</td>
                                <td>{human_size(child.size)}</td>
                                <td>{child.media_type.as_deref().map(media::describe).unwrap_or("").to_owned()}</td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
        </div>
    }
}

/// "unavailable: …" in a table cell.
fn unavailable(error: &RegistryError) -> String {
    format!(
        "unavailable: {}",
        wording::after_colon(&failure_message(error).headline)
    )
}

/// The way back to the multi-arch image a platform was opened from. The address only
/// claims it, so that image is read (by the tag or digest the address names) and the
/// claim shown only as far as it holds: a tag may have moved since.
#[component]
fn PartOf(registry: String, repository: Repository, index: String, child: Digest) -> impl IntoView {
    let Ok(index_ref) = Reference::parse(&index) else {
        return view! {
            <dt>"Part of"</dt>
            <dd class="muted">"The address names a multi-arch image that is neither a tag nor a digest; it was not read."</dd>
        }
        .into_any();
    };
    let (separator, moved) = match index_ref {
        Reference::Digest(_) => ('@', ""),
        Reference::Tag(_) => (':', " (the tag may have moved since)"),
    };
    // Not a resource, so the page does not wait for it (see Platforms). With the
    // read: how the index lists the child, and the nested index it lists it through.
    type Listed = Option<(String, Option<Digest>)>;
    let read = RwSignal::new(None::<(Result<Manifest, RegistryError>, Listed)>);
    {
        let registry = net::registry(&registry, browser::client_for_this_view());
        let repository = repository.clone();
        let child = child.clone();
        let names = crate::ui::PlatformName::in_context();
        spawn_local(async move {
            let manifest = registry.manifest_get(&repository, index_ref).await;
            let mut listed: Listed = None;
            if let Ok(top) = &manifest {
                listed = listed_as(top, &child).map(|label| (label, None));
                // Find a digest opens a platform of an index of indexes from the tag
                // above: one level down, a few nested indexes at most (rare).
                let nested = top.view.manifests.iter().filter(|e| e.is_index()).take(8);
                for entry in nested {
                    if listed.is_some() {
                        break;
                    }
                    let digest = Reference::Digest(entry.digest.clone());
                    if let Ok(inner) = registry.manifest_get(&repository, digest).await {
                        listed = listed_as(&inner, &child)
                            .map(|label| (label, Some(entry.digest.clone())));
                    }
                }
            }
            if let (Some(names), Some((name, _))) = (names, &listed) {
                names.learn(&child, name.clone());
            }
            read.try_set(Some((manifest, listed)));
        });
    }
    let name = format!("{repository}{separator}{index}");
    let repository_name = repository.to_string();
    let link = {
        let name = name.clone();
        move || {
            view! {
                <Link class="part-of" view=View::Image {
                    repository: repository.to_string(),
                    reference: index.clone(),
                    index: None,
                }><code>{name.clone()}</code></Link>
            }
        }
    };
    view! {
        <dt>"Part of"</dt>
        <dd class="part-of-text">
            {move || {
                let (link, name) = (link.clone(), name.clone());
                let repository = repository_name.clone();
                read.with(move |read| match read {
                None => view! { <span class="muted">"checking the multi-arch image it was opened from…"</span> }.into_any(),
                Some((Ok(manifest), _)) if manifest.kind() != ManifestKind::Index => view! {
                    "Opened from " {link()} ", which is not a multi-arch image" {moved} "."
                }.into_any(),
                Some((Ok(_), Some((label, None)))) => view! { {label.clone()} " in the multi-arch image " {link()} }.into_any(),
                Some((Ok(_), Some((label, Some(inner))))) => {
                    let shown = format!("{}:{}…", inner.algorithm(), inner.short(12));
                    view! {
                        {label.clone()} " in the multi-arch image " {link()} ", through the multi-arch image it lists "
                        <Link view=View::Image {
                            repository,
                            reference: inner.to_string(),
                            index: None,
                        }><code>{shown}</code></Link>
                    }.into_any()
                }
                Some((Ok(_), None)) => view! {
                    "Opened from the multi-arch image " {link()} ", which does not list this manifest" {moved} "."
                }.into_any(),
                Some((Err(error), _)) => view! {
                    "Opened from " <code>{name}</code> ", which could not be read: " {wording::after_colon(&failure_message(error).headline)}
                }.into_any(),
            })}}
        </dd>
    }
    .into_any()
}

#[component]
fn Layers(manifest: Manifest) -> impl IntoView {
    let total = manifest.referenced_size();
    view! {
        <h3>"Layers"</h3>
        <div class="table-scroll">
        <table class="layers" aria-label="Layers">
            <thead>
                <tr><th scope="col">"#"</th><th scope="col">"Digest"</th><th scope="col">"Size"</th><th scope="col">"Media type"</th></tr>
            </thead>
            <tbody>
                {manifest
                    .view
                    .layers
                    .iter()
                    .enumerate()
                    .map(|(i, layer)| {
                        view! {
                            <tr>
                                <td>{i + 1}</td>
                                <td>
                                    <code title=layer.digest.to_string()>{short(&layer.digest)}</code>
                                    " "
                                    <CopyButton text=layer.digest.to_string() label=format!("Copy the digest of layer {}", i + 1) />
                                    " "
                                    <Link
                                        class="find-where-used"
                                        label=format!("Find where layer {} is used", i + 1)
                                        view=View::FindDigest { digest: layer.digest.to_string() }
                                    >"Find where used"</Link>
                                </td>
                                <td>{human_size(layer.size)}</td>
                                <td>{layer.media_type.as_deref().map(media::describe).unwrap_or("").to_owned()}</td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
            <tfoot>
                <tr>
                    <td colspan="2">"Total of config and layers, as stored in the registry"</td>
                    <td class="total-size">{human_size(total)}</td>
                    <td></td>
                </tr>
            </tfoot>
        </table>
        </div>
    }
}

fn short(digest: &Digest) -> String {
    format!("{}:{}", digest.algorithm(), digest.short(12))
}

/// The configuration's digest, from the manifest: shown even when the configuration
/// itself cannot be read.
#[component]
fn ConfigDigest(digest: Digest) -> impl IntoView {
    view! {
        <dl class="facts">
            <dt>"Digest"</dt>
            <dd>
                <code class="config-digest" title=digest.to_string()>{short(&digest)}</code>
                " "
                <CopyButton text=digest.to_string() label="Copy the configuration's digest" />
                " "
                <Link
                    class="find-where-used"
                    label="Find where the configuration is used"
                    view=View::FindDigest { digest: digest.to_string() }
                >"Find where used"</Link>
            </dd>
        </dl>
    }
}

#[component]
fn ConfigFacts(config: ImageConfig) -> impl IntoView {
    let container = config.config.clone().unwrap_or_default();
    let join = |parts: &Option<Vec<String>>| parts.as_ref().map(|p| p.join(" "));
    let platform = config.platform();
    let facts: Vec<(&str, Option<String>)> = vec![
        ("Created", config.created.as_deref().map(short_timestamp)),
        ("Platform", platform),
        ("Entrypoint", join(&container.entrypoint)),
        ("Command", join(&container.cmd)),
        (
            "Working directory",
            container.working_dir.clone().filter(|w| !w.is_empty()),
        ),
        ("User", container.user.clone().filter(|u| !u.is_empty())),
    ];
    let labels: Vec<(String, String)> = container
        .labels
        .clone()
        .unwrap_or_default()
        .into_iter()
        .collect();
    let env = container.env.clone().unwrap_or_default();
    view! {
        <dl class="facts config">
            {facts
                .into_iter()
                .filter_map(|(name, value)| value.map(|v| view! { <dt>{name}</dt><dd><code>{wording::visible(&v)}</code></dd> }))
                .collect_view()}
        </dl>
        <KeyValues title="Labels" entries=labels />
        {(!env.is_empty())
            .then(|| {
                view! {
                    <h3>"Environment"</h3>
                    <ul class="env">
                        {env.into_iter().map(|e| view! { <li><code>{wording::visible(&e)}</code></li> }).collect_view()}
                    </ul>
                }
            })}
        {(!config.history.is_empty())
            .then(|| {
                view! {
                    <h3>"History"</h3>
                    <ol class="history">
                        {config
                            .history
                            .iter()
                            .map(|h| {
                                view! {
                                    <li>
                                        <code>{wording::visible(h.created_by.as_deref().unwrap_or_default())}</code>
                                        {h.created.as_deref().map(|c| view! { <span class="muted">" · "{short_timestamp(c)}</span> })}
                                        {h.empty_layer.then_some(view! { <span class="muted">" · no layer"</span> })}
                                        {h.comment.as_deref().map(|c| view! { <span class="muted">" · "{wording::visible(c)}</span> })}
                                    </li>
                                }
                            })
                            .collect_view()}
                    </ol>
                }
            })}
    }
}

/// A two-column table (labels, annotations); nothing when empty. Values are text
/// nodes, so markup in a label is shown, never interpreted; reading-order and
/// invisible characters are shown as such (`wording::visible`).
#[component]
fn KeyValues(title: &'static str, entries: Vec<(String, String)>) -> impl IntoView {
    (!entries.is_empty()).then(|| {
        view! {
            <h3>{title}</h3>
            <table class="key-values" aria-label=title>
                <tbody>
                    {entries
                        .into_iter()
                        .map(|(key, value)| {
                            let (key, value) = (wording::visible(&key), wording::visible(&value));
                            view! { <tr><th scope="row"><code>{key}</code></th><td>{value}</td></tr> }
                        })
                        .collect_view()}
                </tbody>
            </table>
        }
    })
}
