//! TLS to PostgreSQL. The database of a shared municipal cloud is across a network, so connections
//! use TLS whenever the server offers it (`sslmode=prefer`, the default) or must (`sslmode=require`),
//! and the server's certificate is always verified — against the system's trusted roots and the CA
//! named by `sslrootcert=FILE` in the URL (libpq's name), as a ward's own CA usually is. libpq's
//! `sslmode=verify-ca` and `verify-full` mean `require` here. `sslmode=disable` turns TLS off, for a
//! database on the same host or a network that is trusted.

use ::postgres::Config;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use rustls::{ClientConfig, RootCertStore};
use std::path::Path;
use std::sync::Arc;
use tokio_postgres_rustls::MakeRustlsConnect;

/// The connection settings of `url` and the TLS connector for them, or what is wrong with them.
pub fn connector(url: &str) -> Result<(Config, MakeRustlsConnect), String> {
    let (url, root) = split_root(url);
    let config: Config = url.parse().map_err(|e| format!("cannot read the URL: {e}"))?;
    let mut roots = RootCertStore::empty();
    roots.add_parsable_certificates(rustls_native_certs::load_native_certs().certs);
    if let Some(file) = root {
        for cert in certificates(Path::new(&file))? {
            roots.add(cert).map_err(|e| format!("sslrootcert {file}: {e}"))?;
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let tls = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok((config, MakeRustlsConnect::new(tls)))
}

fn certificates(file: &Path) -> Result<Vec<CertificateDer<'static>>, String> {
    let read = CertificateDer::pem_file_iter(file).and_then(|certs| certs.collect::<Result<Vec<_>, _>>());
    match read {
        Ok(certs) if !certs.is_empty() => Ok(certs),
        Ok(_) => Err(format!("sslrootcert {}: no PEM certificate in it", file.display())),
        Err(e) => Err(format!("sslrootcert {}: {e}", file.display())),
    }
}

/// `url` without its `sslrootcert` (which the client library does not take), with libpq's
/// verifying modes as `require`; and the root file named.
fn split_root(url: &str) -> (String, Option<String>) {
    let Some((base, query)) = url.split_once('?') else { return (url.to_owned(), None) };
    let mut root = None;
    let mut kept = Vec::new();
    for pair in query.split('&') {
        match pair.split_once('=') {
            Some(("sslrootcert", file)) => root = Some(file.to_owned()),
            Some(("sslmode", "verify-ca" | "verify-full")) => kept.push("sslmode=require"),
            _ => kept.push(pair),
        }
    }
    let url = if kept.is_empty() { base.to_owned() } else { format!("{base}?{}", kept.join("&")) };
    (url, root)
}

/// `reason` with what to do when it is about the server's certificate.
pub fn explain(reason: String) -> String {
    if reason.contains("certificate") || reason.contains("UnknownIssuer") {
        format!(
            "{reason}; the server's TLS certificate is not trusted: name its CA with sslrootcert=FILE in the URL \
             (or, on a network you trust, sslmode=disable)"
        )
    } else {
        reason
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_root_file_is_taken_out_and_verifying_modes_mean_require() {
        assert_eq!(
            split_root("postgres://u@db/care?sslrootcert=/etc/ca.pem&sslmode=verify-full&connect_timeout=5"),
            (
                "postgres://u@db/care?sslmode=require&connect_timeout=5".to_owned(),
                Some("/etc/ca.pem".to_owned())
            )
        );
        assert_eq!(
            split_root("postgres://u@db/care?sslrootcert=ca.pem"),
            ("postgres://u@db/care".to_owned(), Some("ca.pem".to_owned()))
        );
        assert_eq!(split_root("postgres://u@db/care"), ("postgres://u@db/care".to_owned(), None));
    }

    #[test]
    fn a_missing_root_file_is_named() {
        let refused = connector("postgres://u@db/care?sslrootcert=/nonexistent/ca.pem").err().unwrap();
        assert!(refused.contains("/nonexistent/ca.pem"), "{refused}");
    }
}
