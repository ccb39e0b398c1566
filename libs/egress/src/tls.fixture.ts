/**
 * A self-signed certificate for `parc.test` (CA:TRUE, so it can be its own trust anchor) and its
 * key, valid 2000-01-01 to 2126-01-01, for the https tests. Generated once with openssl
 * (`req -new -newkey ec`, then `ca -selfsign -startdate 20000101000000Z -enddate 21260101000000Z`
 * with subjectAltName=DNS:parc.test). Test material only: the key protects nothing.
 */
export const PARC_TEST_CERT = `-----BEGIN CERTIFICATE-----
MIIBYTCCAQegAwIBAgIBATAKBggqhkjOPQQDAjAUMRIwEAYDVQQDDAlwYXJjLnRl
c3QwIBcNMDAwMTAxMDAwMDAwWhgPMjEyNjAxMDEwMDAwMDBaMBQxEjAQBgNVBAMM
CXBhcmMudGVzdDBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABMR+V/7Vp3bpnQTB
KyPuPtCt6wlOkbIQzn6GfXQuyL3dlyU29FS2MJPGBx+kb0Cknc+JtP6VUgA62rkO
E0PXB22jSDBGMBQGA1UdEQQNMAuCCXBhcmMudGVzdDAPBgNVHRMBAf8EBTADAQH/
MB0GA1UdDgQWBBTAlJcKlYM2P+BMnFqKN6XJSYZm/jAKBggqhkjOPQQDAgNIADBF
AiBZMOyK1S8xqcXz2yIiLfBU3Mj8jkVZargYg16EGxqDXAIhALDsOfMFk6C1cLvE
hfiRzXHj2UVy0ZQjsAe8+tRRr3Tl
-----END CERTIFICATE-----
`;

export const PARC_TEST_KEY = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgyHhsJoIKGHls3NUs
j6h8pWZdXAw1SifZt1mOWX4sonqhRANCAATEflf+1ad26Z0EwSsj7j7QresJTpGy
EM5+hn10Lsi93ZclNvRUtjCTxgcfpG9ApJ3PibT+lVIAOtq5DhND1wdt
-----END PRIVATE KEY-----
`;
