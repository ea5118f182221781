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
    /// Both are read again before each connection attempt: a renewed certificate is used from
    /// the next reconnect on, without a restart.
    pub client_certificate: Option<(PathBuf, PathBuf)>,
    /// The password of an encrypted private key (PKCS#8 `ENCRYPTED PRIVATE KEY`; feature
    /// `encrypted-keys`).
    pub key_password: Option<Password>,
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

    /// Sets [`key_password`](Self::key_password).
    #[must_use]
    pub fn with_key_password(mut self, password: impl Into<String>) -> Self {
        self.key_password = Some(Password(password.into()));
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
                let key_der = private_key(key, self.key_password.as_ref())?;
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

/// A password, which `Debug` does not show.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    /// The password.
    #[must_use]
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl core::fmt::Debug for Password {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Password(*)")
    }
}

/// The private key of a PEM file: PKCS#8, PKCS#1 (RSA) or SEC1 (EC), or PKCS#8 encrypted with
/// `password`.
fn private_key(path: &Path, password: Option<&Password>) -> Result<PrivateKeyDer<'static>, Error> {
    let failed = |reason: String| Error::Certificate {
        path: path.to_path_buf(),
        reason,
    };
    let text = std::fs::read(path).map_err(|e| failed(e.to_string()))?;
    if text
        .windows(ENCRYPTED.len())
        .any(|w| w == ENCRYPTED.as_bytes())
    {
        return encrypted_key(&text, password).map_err(failed);
    }
    PrivateKeyDer::from_pem_slice(&text).map_err(|e| {
        failed(match e {
            rustls_pki_types::pem::Error::NoItemsFound => {
                "no private key in the file (PEM PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY)"
                    .into()
            }
            other => other.to_string(),
        })
    })
}

/// The label of an encrypted PKCS#8 key.
const ENCRYPTED: &str = "-----BEGIN ENCRYPTED PRIVATE KEY-----";

#[cfg(feature = "encrypted-keys")]
fn encrypted_key(
    text: &[u8],
    password: Option<&Password>,
) -> Result<PrivateKeyDer<'static>, String> {
    use pkcs8::der::Decode as _;
    let password = password.ok_or(
        "the key is encrypted: give its password (TlsOptions::with_key_password)".to_owned(),
    )?;
    let text = std::str::from_utf8(text).map_err(|_| "not a PEM file".to_owned())?;
    let (label, document) =
        pkcs8::Document::from_pem(text).map_err(|e| format!("not a PEM key ({e})"))?;
    if label != "ENCRYPTED PRIVATE KEY" {
        return Err(format!(
            "a PEM {label} where an ENCRYPTED PRIVATE KEY was expected"
        ));
    }
    let info = pkcs8::EncryptedPrivateKeyInfo::from_der(document.as_bytes())
        .map_err(|e| format!("not an encrypted PKCS#8 key ({e})"))?;
    let key = info.decrypt(password.expose()).map_err(|_| {
        "the password does not decrypt the key (or its cipher is not supported)".to_owned()
    })?;
    Ok(PrivateKeyDer::Pkcs8(key.as_bytes().to_vec().into()))
}

#[cfg(not(feature = "encrypted-keys"))]
fn encrypted_key(
    _text: &[u8],
    _password: Option<&Password>,
) -> Result<PrivateKeyDer<'static>, String> {
    Err(
        "the key is encrypted: build with the feature `encrypted-keys` and give its password \
         (TlsOptions::with_key_password)"
            .to_owned(),
    )
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The reason `options` give for `path`, which must be the file named.
    fn refusal(options: &TlsOptions, path: &Path) -> String {
        match options.client_config("localhost") {
            Err(Error::Certificate {
                path: named,
                reason,
            }) => {
                assert_eq!(named, path);
                reason
            }
            Err(e) => panic!("not a certificate error: {e}"),
            Ok(_) => panic!("accepted"),
        }
    }

    #[test]
    fn every_unreadable_file_is_named_with_its_problem() {
        let dir = std::env::temp_dir().join(format!("mqtt-tls-files-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let missing = dir.join("missing.pem");
        let empty = dir.join("empty.pem");
        std::fs::write(&empty, "").unwrap();
        let garbage = dir.join("garbage.pem");
        std::fs::write(
            &garbage,
            "-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----\n",
        )
        .unwrap();
        let roots = |path: &Path| TlsOptions::new().with_roots(Roots::CaFile(path.to_path_buf()));
        assert!(refusal(&roots(&missing), &missing).contains("No such file"));
        assert_eq!(
            refusal(&roots(&empty), &empty),
            "no certificate in the file"
        );
        assert!(!refusal(&roots(&garbage), &garbage).is_empty());

        // A usable CA, then the client's files.
        let ca = dir.join("ca.pem");
        let key = rcgen::KeyPair::generate().unwrap();
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        std::fs::write(&ca, params.self_signed(&key).unwrap().pem()).unwrap();
        let client = |chain: &Path, key: &Path| {
            TlsOptions::new()
                .with_roots(Roots::CaFile(ca.clone()))
                .with_client_certificate(chain, key)
        };
        assert!(refusal(&client(&missing, &empty), &missing).contains("No such file"));
        assert!(refusal(&client(&ca, &missing), &missing).contains("No such file"));
        assert!(refusal(&client(&ca, &ca), &ca).contains("no private key in the file"));
        let encrypted = dir.join("encrypted.key");
        std::fs::write(
            &encrypted,
            "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIB\n-----END ENCRYPTED PRIVATE KEY-----\n",
        )
        .unwrap();
        let reason = refusal(&client(&ca, &encrypted), &encrypted);
        assert!(reason.contains("encrypted"), "{reason}");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_password_never_shows() {
        let options = TlsOptions::new().with_key_password("hunter2");
        assert!(!format!("{options:?}").contains("hunter2"));
        assert_eq!(options.key_password.unwrap().expose(), "hunter2");
    }
}
