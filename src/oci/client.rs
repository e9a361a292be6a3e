//! Registry operations (Distribution API v2), written once over [`HttpClient`].

use serde::Deserialize;

use super::error::{Attempt, RegistryError};
use super::http::{HttpClient, Method, Request, Response};
use super::pagination::next_page_url;

/// Catalog page size asked for; distribution refuses `n` above 1000.
pub const CATALOG_PAGE_SIZE: usize = 1000;

/// A registry at a base URL such as `http://127.0.0.1:5000` (no trailing `/v2`).
pub struct Registry<C> {
    base: String,
    client: C,
}

impl<C: HttpClient> Registry<C> {
    pub fn new(base_url: &str, client: C) -> Self {
        Registry {
            base: base_url.trim_end_matches('/').to_owned(),
            client,
        }
    }

    pub fn base_url(&self) -> &str {
        &self.base
    }

    /// Sends a request and turns anything but 2xx into a typed error.
    async fn execute(&self, request: Request) -> Result<Response, RegistryError> {
        let attempt = Attempt {
            method: request.method,
            url: request.url.clone(),
        };
        let response = self
            .client
            .send(request)
            .await
            .map_err(|failure| RegistryError::from_transport(attempt.clone(), failure))?;
        if response.is_success() {
            Ok(response)
        } else {
            Err(RegistryError::from_response(attempt, &response))
        }
    }

    /// `GET /v2/`: is this an OCI / Docker registry we may talk to?
    pub async fn check_api(&self) -> Result<(), RegistryError> {
        let url = format!("{}/v2/", self.base);
        let response = self.execute(Request::new(Method::Get, &url)).await?;
        // A registry answers JSON (usually `{}`); an HTML page means a web server
        // that is not a registry, for instance a wrong port.
        let looks_like_registry = response.header("docker-distribution-api-version").is_some()
            || serde_json::from_slice::<serde_json::Value>(&response.body).is_ok();
        if looks_like_registry {
            Ok(())
        } else {
            Err(RegistryError::Malformed {
                attempt: Attempt {
                    method: Method::Get,
                    url,
                },
                detail: "the answer to /v2/ is not JSON, so this is not a registry API".into(),
            })
        }
    }

    /// Every repository name, following pagination to the end.
    pub async fn catalog(&self) -> Result<Vec<String>, RegistryError> {
        let first = format!("{}/v2/_catalog?n={CATALOG_PAGE_SIZE}", self.base);
        let mut names = Vec::new();
        self.each_page(first, |page: CatalogPage| {
            names.extend(page.repositories.unwrap_or_default());
        })
        .await?;
        Ok(names)
    }

    /// Every tag of `repository`; `on_page` sees each page as it arrives, so a view
    /// can show the first tags while the rest load.
    pub async fn tags(
        &self,
        repository: &str,
        mut on_page: impl FnMut(&[String]),
    ) -> Result<Vec<String>, RegistryError> {
        let first = format!("{}/v2/{repository}/tags/list", self.base);
        let mut tags = Vec::new();
        self.each_page(first, |page: TagsPage| {
            // distribution answers `"tags": null` once every tag was deleted.
            let page_tags = page.tags.unwrap_or_default();
            on_page(&page_tags);
            tags.extend(page_tags);
        })
        .await?;
        Ok(tags)
    }

    /// GETs `url`, decodes it as `T`, and follows `Link: rel="next"` until the end.
    async fn each_page<T: for<'de> Deserialize<'de>>(
        &self,
        first_url: String,
        mut on_page: impl FnMut(T),
    ) -> Result<(), RegistryError> {
        let mut url = first_url;
        let mut seen = std::collections::HashSet::new();
        loop {
            let attempt = Attempt {
                method: Method::Get,
                url: url.clone(),
            };
            if !seen.insert(url.clone()) {
                return Err(RegistryError::Malformed {
                    attempt,
                    detail: "the next-page link repeats an earlier page".into(),
                });
            }
            let response = self.execute(Request::new(Method::Get, &url)).await?;
            let page: T =
                serde_json::from_slice(&response.body).map_err(|e| RegistryError::Malformed {
                    attempt: attempt.clone(),
                    detail: format!("not the expected JSON: {e}"),
                })?;
            on_page(page);
            let next = match response.header("link") {
                Some(link) => next_page_url(link, &url).map_err(|e| RegistryError::Malformed {
                    attempt,
                    detail: e.to_string(),
                })?,
                None => None,
            };
            match next {
                Some(next) => url = next,
                None => return Ok(()),
            }
        }
    }
}

#[derive(Deserialize)]
struct CatalogPage {
    #[serde(default)]
    repositories: Option<Vec<String>>,
}

#[derive(Deserialize)]
struct TagsPage {
    #[serde(default)]
    tags: Option<Vec<String>>,
}
