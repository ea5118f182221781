//! TLS with rustls: the roots to trust, a client certificate, SNI and ALPN.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::ClientConfig;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls_pki_types::pem::PemObject;

use crate::error::Error;

/// Which certificate authorities to trust.
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub enum Roots {
    /// The operating system's trust store.
    #[default]
    System,
    /// The certificates of a PEM file, and no others.
    CaFile(PathBuf),
}

/// TLS settings for `mqtts://` and `tls://` addresses. Certificate verification is always on.
///
/// ```
/// use mqtt_driver::{Roots, TlsOptions};
///
/// let tls = TlsOptions::new()
///     .with_roots(Roots::CaFile("ca.pem".into()))
///     .with_alpn(["mqtt"]);
/// assert_eq!(tls.alpn, [b"mqtt".to_vec()]);
/// ```
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct TlsOptions {
    /// The trusted roots. Default: the system's.
    pub roots: Roots,
    /// A client certificate chain and its private key (PEM files), for brokers that ask for one.
    pub client_certificate: Option<(PathBuf, PathBuf)>,
    /// The name to send in SNI and to verify the certificate against; default: the host of the
    /// address.
    pub server_name: Option<String>,
    /// ALPN protocols to offer, in order of preference.
    pub alpn: Vec<Vec<u8>>,
}

impl TlsOptions {
    /// System roots, no client certificate, no ALPN.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets [`roots`](Self::roots).
    #[must_use]
    pub fn with_roots(mut self, roots: Roots) -> Self {
        self.roots = roots;
        self
    }

    /// Sets [`client_certificate`](Self::client_certificate).
    #[must_use]
    pub fn with_client_certificate(
        mut self,
        chain: impl Into<PathBuf>,
        key: impl Into<PathBuf>,
    ) -> Self {
        self.client_certificate = Some((chain.into(), key.into()));
        self
    }

    /// Sets [`server_name`](Self::server_name).
    #[must_use]
    pub fn with_server_name(mut self, name: impl Into<String>) -> Self {
        self.server_name = Some(name.into());
        self
    }

    /// Sets [`alpn`](Self::alpn).
    #[must_use]
    pub fn with_alpn<P: AsRef<[u8]>>(mut self, protocols: impl IntoIterator<Item = P>) -> Self {
        self.alpn = protocols.into_iter().map(|p| p.as_ref().to_vec()).collect();
        self
    }

    /// The rustls configuration and the name to verify, for `host` unless a server name is
    /// set: what the adapters use, and drivers of one's own.
    ///
    /// # Errors
    /// [`Error::Certificate`] for a missing or unusable file, [`Error::Tls`] for a refused
    /// configuration, [`Error::InvalidAddress`] for a name TLS cannot verify.
    pub fn client_config(
        &self,
        host: &str,
    ) -> Result<(Arc<ClientConfig>, ServerName<'static>), Error> {
        let mut roots = rustls::RootCertStore::empty();
        match &self.roots {
            Roots::System => {
                let found = rustls_native_certs::load_native_certs();
                for cert in found.certs {
                    // A certificate of the store that rustls cannot use is skipped, as browsers do.
                    let _ = roots.add(cert);
                }
                if roots.is_empty() {
                    return Err(Error::Certificate {
                        path: PathBuf::from("(system trust store)"),
                        reason: "no usable root certificate found; install ca-certificates or name a CA file".into(),
                    });
                }
            }
            Roots::CaFile(path) => {
                for cert in certificates(path)? {
                    roots.add(cert).map_err(|e| Error::Certificate {
                        path: path.clone(),
                        reason: e.to_string(),
                    })?;
                }
            }
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(Error::Tls)?
            .with_root_certificates(roots);
        let mut config = match &self.client_certificate {
            Some((chain, key)) => {
                let chain_certs = certificates(chain)?;
                let key_der =
                    PrivateKeyDer::from_pem_file(key).map_err(|e| Error::Certificate {
                        path: key.clone(),
                        reason: e.to_string(),
                    })?;
                builder
                    .with_client_auth_cert(chain_certs, key_der)
                    .map_err(Error::Tls)?
            }
            None => builder.with_no_client_auth(),
        };
        config.alpn_protocols.clone_from(&self.alpn);
        let name = self.server_name.as_deref().unwrap_or(host).to_owned();
        let server_name =
            ServerName::try_from(name.clone()).map_err(|_| Error::InvalidAddress {
                reason: crate::AddressError::BadHost(format!(
                    "{name:?} is not a valid TLS server name"
                )),
                address: name,
            })?;
        Ok((Arc::new(config), server_name))
    }
}

/// Every certificate of a PEM file, which must exist and hold at least one.
fn certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>, Error> {
    let certs = CertificateDer::pem_file_iter(path)
        .and_then(Iterator::collect::<Result<Vec<_>, _>>)
        .map_err(|e| Error::Certificate {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
    if certs.is_empty() {
        return Err(Error::Certificate {
            path: path.to_path_buf(),
            reason: "no certificate in the file".into(),
        });
    }
    Ok(certs)
}
