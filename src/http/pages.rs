//! Lists that page and stream. `GET /api/sites`, `/api/areas` and `/api/population` answer at most
//! one page (`limit`, at most the layer's page size) after a feature id (`after`), with a `next`
//! link while more remain; features are rendered in chunks as the body is sent, so neither a large
//! layer nor a slow client makes the server hold a whole answer as one string. Exports stream the
//! same way, unpaged.

use super::AppError;
use crate::export::{OutputCrs, collection_head};
use crate::model::Properties;
use axum::body::{Body, Bytes};
use axum::http::{Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// A chunk of a response body is sent once it holds this many bytes (or the last feature): a chunk
/// of small points holds hundreds of features, a chunk of hour-long catchments one or two, so no
/// chunk grows with the layer and rendering one is a short step for the thread that sends it.
const CHUNK_BYTES: usize = 64 * 1024;

/// The most features one page of each list holds (also its default).
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct PageSizes {
    pub sites: usize,
    pub areas: usize,
    pub population: usize,
}

/// Areas carry whole polygons, so their pages are smaller.
pub const PAGE_SIZES: PageSizes = PageSizes { sites: 10_000, areas: 1_000, population: 10_000 };

/// Which page a list request asks for.
#[derive(Debug, Clone, Copy)]
pub struct Page {
    pub limit: usize,
    /// Only features with a larger id.
    pub after: Option<i64>,
    /// The coordinate system the features are written in.
    pub crs: OutputCrs,
}

impl Page {
    /// Checks `limit` against `max` (the default when absent).
    pub fn new(limit: Option<usize>, after: Option<i64>, max: usize) -> Result<Page, AppError> {
        match limit {
            Some(0) => Err(AppError::parameter("limit", "must be at least 1")),
            Some(n) if n > max => Err(AppError::parameter(
                "limit",
                format!("{n} is more than {max}, the most one page holds; follow the next link for more"),
            )),
            n => Ok(Page { limit: n.unwrap_or(max), after, crs: OutputCrs::default() }),
        }
    }
}

/// Streams a GeoJSON FeatureCollection of `items` (sorted by `id`): the page after `page.after`,
/// with `numberReturned` and a `next` link (the same request, `after` the last id) while more remain,
/// positions in `page.crs`.
pub fn collection_page<T: Send + 'static>(
    name: &str,
    items: Vec<T>,
    id: impl Fn(&T) -> i64,
    render: impl Fn(&T) -> Value + Send + 'static,
    page: Page,
    uri: &Uri,
) -> Response {
    let start = page.after.map_or(0, |after| items.partition_point(|t| id(t) <= after));
    let more = items.len() > start + page.limit;
    let items: Vec<T> = items.into_iter().skip(start).take(page.limit).collect();
    let mut members = Properties::new();
    members.insert("numberReturned".into(), json!(items.len()));
    let mut links = vec![json!({ "rel": "self", "href": uri.to_string() })];
    if let (true, Some(last)) = (more, items.last()) {
        links
            .push(json!({ "rel": "next", "type": "application/geo+json", "href": next_href(uri, id(last)) }));
    }
    members.insert("links".into(), Value::Array(links));
    let crs = page.crs;
    let write = move |item: &T, out: &mut Vec<u8>| {
        let mut feature = render(item);
        crs.orient(&mut feature);
        write_json(out, &feature)
    };
    let body = stream_features(collection_head(name, &members), items, write, crate::export::COLLECTION_TAIL);
    ([(header::CONTENT_TYPE, "application/geo+json")], body).into_response()
}

/// The request's path and query with `after` set to `last` (absolute when `uri` is).
fn next_href(uri: &Uri, last: i64) -> String {
    let kept =
        uri.query().unwrap_or_default().split('&').filter(|p| !p.is_empty() && !p.starts_with("after="));
    let query: Vec<String> = kept.map(str::to_owned).chain([format!("after={last}")]).collect();
    let origin = match (uri.scheme_str(), uri.authority()) {
        (Some(scheme), Some(authority)) => format!("{scheme}://{authority}"),
        _ => String::new(),
    };
    format!("{origin}{}?{}", uri.path(), query.join("&"))
}

/// Appends `value` as JSON to `out`: straight from the value, with no JSON tree between.
pub fn write_json(out: &mut Vec<u8>, value: &impl serde::Serialize) {
    serde_json::to_writer(out, value).expect("what sasaeai writes has string keys only")
}

/// A body of `head`, the features written chunk by chunk as the client reads (`render` writes one
/// as JSON), and `tail`.
pub fn stream_features<T: Send + 'static>(
    head: String,
    items: Vec<T>,
    render: impl Fn(&T, &mut Vec<u8>) + Send + 'static,
    tail: &'static str,
) -> Body {
    let mut items = items.into_iter().peekable();
    let mut first = true;
    let chunks = std::iter::from_fn(move || {
        items.peek()?;
        let mut text = Vec::new();
        while let Some(item) = items.next_if(|_| text.len() < CHUNK_BYTES) {
            if !std::mem::take(&mut first) {
                text.extend_from_slice(b",\n");
            }
            render(&item, &mut text);
        }
        Some(Bytes::from(text))
    });
    let body = std::iter::once(Bytes::from(head)).chain(chunks).chain([Bytes::from_static(tail.as_bytes())]);
    Body::from_stream(futures_util::stream::iter(body.map(Ok::<_, std::convert::Infallible>)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn chunks_stay_small_whatever_the_features_weigh() {
        use futures_util::StreamExt;
        let big = "x".repeat(40_000);
        let items: Vec<u32> = (0..10).collect();
        let body = stream_features("[".into(), items, move |_, out| write_json(out, &big), "]");
        let sizes: Vec<usize> = body.into_data_stream().map(|c| c.unwrap().len()).collect().await;
        assert!(sizes.iter().all(|&n| n < CHUNK_BYTES + 41_000), "{sizes:?}");
        assert!(sizes.len() >= 7, "head, five or more chunks, tail: {sizes:?}");
    }

    #[test]
    fn the_next_link_keeps_the_question_and_moves_after() {
        let uri: Uri = "/api/sites?kind=cafe&after=3&limit=2".parse().unwrap();
        assert_eq!(next_href(&uri, 9), "/api/sites?kind=cafe&limit=2&after=9");
        let absolute: Uri =
            "http://gis.example.lg.jp/sasaeai/ogc/collections/sites/items?limit=2".parse().unwrap();
        assert_eq!(
            next_href(&absolute, 9),
            "http://gis.example.lg.jp/sasaeai/ogc/collections/sites/items?limit=2&after=9"
        );
    }
}
