//! PEM in and out (RFC 7468), and the "PEM or base64 DER" inputs of docs/wire-contract.md §2.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use super::CertError;

/// PEM with LF line ends, 64-column base64 and a trailing newline (docs/wire-contract.md §2).
pub(crate) fn encode(label: &'static str, der: &[u8]) -> String {
    let body = STANDARD.encode(der);
    let mut pem = String::with_capacity(body.len() + body.len() / 64 + 2 * label.len() + 40);
    pem.push_str("-----BEGIN ");
    pem.push_str(label);
    pem.push_str("-----\n");
    let mut rest = body.as_str();
    while !rest.is_empty() {
        let (line, tail) = rest.split_at(rest.len().min(64));
        pem.push_str(line);
        pem.push('\n');
        rest = tail;
    }
    pem.push_str("-----END ");
    pem.push_str(label);
    pem.push_str("-----\n");
    pem
}

/// The DER inside PEM with the given label. Liberal in layout (CRLF or LF, any line length,
/// surrounding white space), strict in the label and the base64 alphabet.
pub(crate) fn decode(label: &'static str, pem: &str) -> Result<Vec<u8>, CertError> {
    let error = |reason: &str| CertError::Pem {
        label,
        reason: reason.to_owned(),
    };
    let text = pem.trim();
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let inner = text
        .strip_prefix(begin.as_str())
        .ok_or_else(|| error("missing or different BEGIN line"))?
        .strip_suffix(end.as_str())
        .ok_or_else(|| error("missing or different END line"))?;
    let body: String = inner.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    if body.contains("-----") {
        return Err(error("more than one PEM block"));
    }
    STANDARD
        .decode(body.as_bytes())
        .map_err(|e| error(&format!("invalid base64: {e}")))
}

/// DER from PEM with the given label, or from standard base64 of the DER (docs/wire-contract.md §2:
/// "Inputs accept both").
pub(crate) fn decode_pem_or_base64(label: &'static str, input: &str) -> Result<Vec<u8>, CertError> {
    let text = input.trim();
    if text.starts_with("-----BEGIN") {
        return decode(label, text);
    }
    let body: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    STANDARD
        .decode(body.as_bytes())
        .map_err(|e| CertError::Base64(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_64_columns_lf_and_decodes_liberally() {
        let der: Vec<u8> = (0..=200).collect();
        let pem = encode("CERTIFICATE", &der);
        assert!(pem.lines().skip(1).take(4).all(|l| l.len() == 64));
        assert!(pem.ends_with("-----END CERTIFICATE-----\n") && !pem.contains('\r'));
        assert_eq!(decode("CERTIFICATE", &pem).unwrap(), der);
        assert_eq!(
            decode("CERTIFICATE", &pem.replace('\n', "\r\n")).unwrap(),
            der
        );
        let one_line = format!(
            "-----BEGIN CERTIFICATE-----{}-----END CERTIFICATE-----",
            STANDARD.encode(&der)
        );
        assert_eq!(decode("CERTIFICATE", &one_line).unwrap(), der);
        assert_eq!(
            decode_pem_or_base64("CERTIFICATE", &STANDARD.encode(&der)).unwrap(),
            der
        );
        assert!(matches!(
            decode("CERTIFICATE REQUEST", &pem),
            Err(CertError::Pem { .. })
        ));
        assert!(matches!(
            decode_pem_or_base64("CERTIFICATE", "no!"),
            Err(CertError::Base64(_))
        ));
    }
}
