//! Escaping for the server-rendered pages.
//!
//! The pages are built with `format!`; every string that did not come from
//! this source file (a username, an error message, a recovery code) goes
//! through [`Escaped`], so it is text in the page and never markup.

use std::fmt;

/// Displays a string with the five HTML-significant characters escaped, so it
/// is safe both in element content and inside a double- or single-quoted
/// attribute value. Nothing is allocated.
pub(crate) struct Escaped<'a>(pub(crate) &'a str);

impl fmt::Display for Escaped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut rest = self.0;
        while let Some(at) = rest.find(['&', '<', '>', '"', '\'']) {
            let (plain, special) = rest.split_at(at);
            f.write_str(plain)?;
            let mut chars = special.chars();
            let entity = match chars.next() {
                Some('&') => "&amp;",
                Some('<') => "&lt;",
                Some('>') => "&gt;",
                Some('"') => "&quot;",
                _ => "&#39;",
            };
            f.write_str(entity)?;
            rest = chars.as_str();
        }
        f.write_str(rest)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn escape_html(text: &str) -> String {
        Escaped(text).to_string()
    }

    #[test]
    fn markup_characters_are_escaped() {
        assert_eq!(
            escape_html(r#"<script>alert("x")</script> & 'y'"#),
            "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;"
        );
    }

    #[test]
    fn plain_text_and_unicode_pass_unchanged() {
        for text in ["", "ada", "Zoë 🙂 über", "a=b;c/d"] {
            assert_eq!(escape_html(text), text);
        }
    }

    #[test]
    fn escaping_is_not_undone_by_double_encoding() {
        // An already escaped entity stays visible as text, not as the character.
        assert_eq!(escape_html("&lt;b&gt;"), "&amp;lt;b&amp;gt;");
    }

    #[test]
    fn escaped_text_cannot_leave_an_attribute() {
        let hostile = "x\" onmouseover=\"alert(1)' y='";
        let attribute = format!("<input value=\"{}\">", Escaped(hostile));
        assert_eq!(attribute.matches('"').count(), 2, "{attribute}");
        assert!(!attribute.contains('\''), "{attribute}");
    }
}
