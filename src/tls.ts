// What Node's TLS errors mean, for the Kafka and the search side alike: both name an untrusted
// server certificate in one line that points at the CA setting.

// Node's codes for a server certificate that does not verify (tls.connect's `authorizationError`).
const untrustedCodes =
  /^(SELF_SIGNED_CERT_IN_CHAIN|DEPTH_ZERO_SELF_SIGNED_CERT|UNABLE_TO_|CERT_|ERR_TLS_CERT_ALTNAME_INVALID|HOSTNAME_MISMATCH)/;

/** Whether the error says the server's certificate did not verify against the trusted CAs. */
export function isUntrustedCertificate(error: Error): boolean {
  return untrustedCodes.test(String((error as NodeJS.ErrnoException).code ?? ''));
}
