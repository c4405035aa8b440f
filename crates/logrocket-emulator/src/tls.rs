//! HTTPS mode: a throwaway certificate authority, the server certificate it signs, and the
//! file clients in other processes read the CA certificate from.
//!
//! A real API is only ever reached over HTTPS, so clients grow TLS code paths (trust stores,
//! ALPN, HTTP/2) that a plain-HTTP emulator never exercises. A fresh CA per start means tests
//! can trust exactly this emulator, never a long-lived key that might leak into a trust store.

use std::fmt;
use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose,
};
use rustls::ServerConfig;
use rustls::pki_types::PrivateKeyDer;

/// The ALPN protocols offered, best first: a client that speaks HTTP/2 gets it, as it would
/// from the real API, and any other gets HTTP/1.1.
const ALPN_PROTOCOLS: [&[u8]; 2] = [b"h2", b"http/1.1"];

/// A throwaway certificate authority and a server certificate it signed, ready to serve TLS.
///
/// Each [`TlsCertificates::generate`] makes a new CA key, so trusting one emulator's CA never
/// lets a client trust another emulator (or anything else). The server certificate is valid
/// for `localhost`, `127.0.0.1` and `::1`, the names a client on the same machine uses.
/// Neither key is ever written anywhere: only the CA *certificate* leaves the process, for
/// clients to trust ([`TlsCertificates::ca_cert_pem`], [`TlsCertificates::write_ca_cert`]).
///
/// Cloning is cheap; clones share the same certificates.
#[derive(Clone)]
pub struct TlsCertificates {
    ca_cert_pem: Arc<str>,
    server_config: Arc<ServerConfig>,
}

impl TlsCertificates {
    /// Makes a new CA (self-signed, new key) and a server certificate it signs for
    /// `localhost`, `127.0.0.1` and `::1`.
    ///
    /// # Errors
    ///
    /// Generating a key or signing a certificate failed, or rustls refused the result; none
    /// is expected in practice.
    pub fn generate() -> io::Result<Self> {
        Self::generate_for(None)
    }

    /// Like [`TlsCertificates::generate`], with `extra_ip` also in the server certificate,
    /// so an emulator bound to a specific non-loopback address verifies at the URL it gives.
    pub(crate) fn generate_for(extra_ip: Option<IpAddr>) -> io::Result<Self> {
        let mut ips = vec![
            IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(Ipv6Addr::LOCALHOST),
        ];
        if let Some(ip) = extra_ip {
            if !ip.is_unspecified() && !ips.contains(&ip) {
                ips.push(ip);
            }
        }
        let mut names = vec!["localhost".to_owned()];
        names.extend(ips.iter().map(IpAddr::to_string));

        let ca_key = KeyPair::generate().map_err(tls_error)?;
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).map_err(tls_error)?;
        ca_params.distinguished_name = distinguished_name("logrocket-emulator throwaway CA");
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        ca_params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let ca_cert = ca_params.self_signed(&ca_key).map_err(tls_error)?;
        let ca = Issuer::new(ca_params, ca_key);

        let server_key = KeyPair::generate().map_err(tls_error)?;
        // rcgen turns the address strings into IP address SANs, which is what clients check
        // when they connect to an address rather than a name.
        let mut server_params = CertificateParams::new(names).map_err(tls_error)?;
        server_params.distinguished_name = distinguished_name("logrocket-emulator");
        server_params.is_ca = IsCa::ExplicitNoCa;
        // An ECDSA key only signs, so no key encipherment.
        server_params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        server_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        server_params.use_authority_key_identifier_extension = true;
        let server_cert = server_params
            .signed_by(&server_key, &ca)
            .map_err(tls_error)?;

        // An explicit provider rather than the process default: another crate in the same
        // process may have installed a different one, or enabled two so none is the default.
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut server_config = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(tls_error)?
            .with_no_client_auth()
            .with_single_cert(
                vec![server_cert.der().clone()],
                PrivateKeyDer::from(server_key),
            )
            .map_err(tls_error)?;
        server_config.alpn_protocols = ALPN_PROTOCOLS.iter().map(|p| p.to_vec()).collect();

        Ok(Self {
            ca_cert_pem: ca_cert.pem().into(),
            server_config: Arc::new(server_config),
        })
    }

    /// The CA certificate as PEM: what a client adds to its trust store (for example
    /// `reqwest::Certificate::from_pem`) to verify the emulator.
    pub fn ca_cert_pem(&self) -> &str {
        &self.ca_cert_pem
    }

    /// Writes the CA certificate (PEM) for clients in other processes, e.g.
    /// `curl --cacert <path>` or `SSL_CERT_FILE=<path>`.
    ///
    /// With `path`, it is written there and left in place when the returned [`CaCertFile`]
    /// is dropped: the caller named it, so it is theirs. With `None`, a fresh file under
    /// [`std::env::temp_dir`] named `logrocket-emulator-ca-<pid>-<port>.pem` is written and
    /// removed when the [`CaCertFile`] is dropped, so runs do not litter the temp directory.
    ///
    /// # Errors
    ///
    /// The file could not be created or written.
    pub fn write_ca_cert(&self, path: Option<PathBuf>, port: u16) -> io::Result<CaCertFile> {
        match path {
            Some(path) => {
                fs::write(&path, self.ca_cert_pem.as_bytes())?;
                Ok(CaCertFile {
                    path,
                    remove_on_drop: false,
                })
            }
            None => {
                let path = std::env::temp_dir().join(format!(
                    "logrocket-emulator-ca-{}-{port}.pem",
                    std::process::id()
                ));
                // A file of that name can only be left over from a killed run with the same
                // pid and port. Removed rather than overwritten, and then created anew, so a
                // symlink planted in a shared temp directory is never written through.
                match fs::remove_file(&path) {
                    Err(error) if error.kind() != io::ErrorKind::NotFound => return Err(error),
                    _ => {}
                }
                let mut file = OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .open(&path)?;
                // The file is ours from here on: remove it even if the write fails.
                let written = CaCertFile {
                    path,
                    remove_on_drop: true,
                };
                file.write_all(self.ca_cert_pem.as_bytes())?;
                file.sync_all()?;
                Ok(written)
            }
        }
    }

    pub(crate) fn acceptor(&self) -> tokio_rustls::TlsAcceptor {
        tokio_rustls::TlsAcceptor::from(Arc::clone(&self.server_config))
    }
}

// By hand: rustls' ServerConfig holds the private key, and its Debug output is long anyway.
impl fmt::Debug for TlsCertificates {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsCertificates").finish_non_exhaustive()
    }
}

/// The CA certificate written to disk by [`TlsCertificates::write_ca_cert`].
///
/// Dropping it removes the file if it was a temporary file chosen by the emulator, and leaves
/// a file the caller named alone.
#[derive(Debug)]
pub struct CaCertFile {
    path: PathBuf,
    remove_on_drop: bool,
}

impl CaCertFile {
    /// Where the CA certificate (PEM) is.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for CaCertFile {
    fn drop(&mut self) {
        if self.remove_on_drop {
            if let Err(error) = fs::remove_file(&self.path) {
                tracing::debug!(%error, path = %self.path.display(), "emulator: could not remove the CA certificate file");
            }
        }
    }
}

fn distinguished_name(common_name: &str) -> DistinguishedName {
    let mut name = DistinguishedName::new();
    name.push(DnType::CommonName, common_name);
    name
}

fn tls_error(error: impl std::error::Error + Send + Sync + 'static) -> io::Error {
    io::Error::other(error)
}
