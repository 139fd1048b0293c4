//! `GET /static/{path}`: the embedded static files, by version.

use actix_web::http::header::{CACHE_CONTROL, CONTENT_TYPE, ETAG, IF_NONE_MATCH};
use actix_web::{HttpRequest, HttpResponse, web};

/// `GET /static/{path}`: the file, cacheable for a year when asked for by its version.
pub(super) async fn serve(
    request: HttpRequest,
    renderer: web::Data<super::render::Renderer>,
    path: web::Path<String>,
) -> HttpResponse {
    let Some(asset) = renderer.assets.get(&path) else {
        return HttpResponse::NotFound()
            .content_type("text/plain; charset=utf-8")
            .body("no such file");
    };
    let etag = format!("\"{}\"", asset.version);
    let versioned = request
        .query_string()
        .strip_prefix("v=")
        .is_some_and(|v| v == asset.version);
    let cache = if versioned {
        "public, max-age=31536000, immutable"
    } else {
        "public, max-age=300"
    };
    let matches = request
        .headers()
        .get(IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag));
    let mut response = if matches {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    response
        .insert_header((CACHE_CONTROL, cache))
        .insert_header((ETAG, etag));
    if matches {
        return response.finish();
    }
    response
        .insert_header((CONTENT_TYPE, super::assets::content_type(asset.path)))
        .body(asset.bytes.clone())
}
