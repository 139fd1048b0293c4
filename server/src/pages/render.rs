//! The template engine with the embedded templates, messages and static files.

use super::assets;
use super::filters;
use super::i18n;
use minijinja::{Environment, Value};
use std::sync::Arc;

/// The templates, embedded: (name, source). `tests` checks the list holds every file.
macro_rules! templates {
    ($($name:literal),* $(,)?) => {
        &[$(($name, include_str!(concat!("../../../frontend/templates/", $name)))),*]
    };
}
const TEMPLATES: &[(&str, &str)] = templates![
    "base.html",
    "macros.html",
    "error.html",
    "home.html",
    "tenders.html",
    "tender.html",
    "organisation.html",
    "explorer.html",
    "entry.html",
    "consistency.html",
    "login.html",
    "me.html",
    "register.html",
    "bid.html",
    "buyer.html",
    "draft.html",
    "manage.html",
    "supervision.html",
    "fund_macros.html",
    "funds.html",
    "fund.html",
    "donation.html",
    "disbursement.html",
    "trace.html",
    "charity_watch.html",
    "admin.html",
    "users.html",
    "charity_macros.html",
    "charity_desk.html",
    "donation_form.html",
    "disbursement_form.html",
    "acknowledge.html",
];

/// Where the refusals' sentences in `lang` are, under `/static/`.
pub(super) fn refusals_path(lang: i18n::Lang) -> &'static str {
    match lang {
        i18n::Lang::ZhCn => "refusals/zh-CN.json",
        i18n::Lang::En => "refusals/en.json",
    }
}

/// The template engine with its templates, the messages and the static files.
pub struct Renderer {
    pub(super) env: Environment<'static>,
    pub(super) messages: Arc<i18n::Messages>,
    pub(super) assets: assets::Assets,
}

impl Renderer {
    /// Loads and compiles everything embedded; a template that does not compile or a
    /// message file that does not load stops the server at start.
    pub fn load() -> Result<Renderer, String> {
        let messages = Arc::new(i18n::Messages::load()?);
        let mut assets = assets::Assets::load();
        // The refusals' sentences the signing scripts fetch when the API refuses, one file
        // per language (kept out of the pages, which stay small).
        for lang in i18n::Lang::ALL {
            let said = serde_json::to_vec(&messages.for_refusals(lang))
                .map_err(|e| format!("the refusals of {}: {e}", lang.tag()))?;
            assets.add(refusals_path(lang), said);
        }
        let mut env = Environment::new();
        env.set_undefined_behavior(minijinja::UndefinedBehavior::SemiStrict);
        // Auto-escaping for every template (all are HTML), whatever its name.
        env.set_auto_escape_callback(|_| minijinja::AutoEscape::Html);
        for (name, source) in TEMPLATES {
            env.add_template(name, source)
                .map_err(|e| format!("template {name}: {e:#}"))?;
        }
        filters::register(&mut env, messages.clone());
        let urls: Vec<(String, String)> = assets
            .paths()
            .filter_map(|path| assets.url(path).map(|u| (path.to_owned(), u)))
            .collect();
        env.add_function("static_url", move |path: &str| {
            urls.iter()
                .find(|(p, _)| p == path)
                .map(|(_, u)| u.clone())
                .ok_or_else(|| {
                    minijinja::Error::new(
                        minijinja::ErrorKind::InvalidOperation,
                        format!("no static file {path}"),
                    )
                })
        });
        Ok(Renderer {
            env,
            messages,
            assets,
        })
    }

    /// Renders `template` with `ctx`.
    pub fn render(&self, template: &str, ctx: Value) -> Result<String, minijinja::Error> {
        self.env.get_template(template)?.render(ctx)
    }

    /// The messages.
    pub fn messages(&self) -> &i18n::Messages {
        &self.messages
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pages::i18n::Lang;

    #[test]
    fn every_template_of_the_folder_is_embedded_and_compiles() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../frontend/templates");
        let mut on_disk: Vec<String> = std::fs::read_dir(&root)
            .expect("read the folder")
            .map(|e| {
                e.expect("an entry")
                    .file_name()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
        on_disk.sort();
        let mut embedded: Vec<String> = TEMPLATES.iter().map(|(n, _)| (*n).to_owned()).collect();
        embedded.sort();
        assert_eq!(on_disk, embedded);
        Renderer::load().expect("everything loads");
    }

    #[test]
    fn every_message_a_template_names_exists() {
        let renderer = Renderer::load().expect("everything loads");
        let mut missing = Vec::new();
        for (name, source) in TEMPLATES {
            for (i, _) in source.match_indices("t(\"") {
                let rest = &source[i + 3..];
                let key = &rest[..rest.find('"').expect("a closing quote")];
                if renderer.messages().get(Lang::En, key).is_none() {
                    missing.push(format!("{name}: {key}"));
                }
            }
        }
        assert!(missing.is_empty(), "missing messages: {missing:#?}");
    }

    #[test]
    fn every_problem_and_status_has_a_message() {
        let renderer = Renderer::load().expect("everything loads");
        let mut keys: Vec<String> = crate::error::ProblemType::ALL
            .iter()
            .map(|p| format!("problem.{}", p.slug()))
            .collect();
        keys.extend(
            crate::domain::procurement::Status::ALL
                .iter()
                .map(|s| format!("status.{}", s.as_str())),
        );
        keys.extend(
            crate::domain::procurement::AMENDABLE
                .iter()
                .map(|f| format!("field.{f}")),
        );
        keys.extend(
            crate::domain::Registry::new()
                .names()
                .into_iter()
                .map(|k| format!("kind.{k}")),
        );
        let missing: Vec<&String> = keys
            .iter()
            .filter(|k| renderer.messages().get(Lang::En, k).is_none())
            .collect();
        assert!(missing.is_empty(), "missing messages: {missing:#?}");
    }

    #[test]
    fn the_refusals_sentences_are_a_file_of_their_own_per_language() {
        let renderer = Renderer::load().expect("everything loads");
        let read = |lang: Lang| -> serde_json::Value {
            let asset = renderer
                .assets
                .get(refusals_path(lang))
                .expect("made at start");
            serde_json::from_slice(&asset.bytes).expect("JSON")
        };
        let zh = read(Lang::ZhCn);
        assert_eq!(zh["messages"]["detail.user.taken"], "{email} 已有账户");
        assert_eq!(zh["messages"]["role.supervisor"], "监督人员");
        assert_eq!(zh["named"]["role"], "role.");
        let en = read(Lang::En);
        assert_eq!(en["messages"], serde_json::json!({}));
        assert_eq!(en["named"], zh["named"]);
        // Pages name the file by its version; none carries the sentences.
        let url = renderer
            .assets
            .url(refusals_path(Lang::ZhCn))
            .expect("a URL");
        assert!(url.starts_with("/static/refusals/zh-CN.json?v="), "{url}");
    }
}
