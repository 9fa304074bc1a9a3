"""A relying party nobody here wrote, against local-api: Authlib (PyPI) drives discovery, the
authorization code flow with PKCE (S256), state and nonce, ID token validation against the
JWKS, userinfo, refresh, introspection, revocation and client credentials; the hosted page's
forms are posted as a browser posts them (its cookie kept, redirects not followed). The access
token is then judged as API Gateway's JWT authorizer documents it. Prints one test result line.

Usage: python client.py http://127.0.0.1:PORT   (local-api with AUTH_ADMIN_LOCAL=true and
AUTH_ISSUER set to that URL)
"""
import html.parser
import json
import sys
import time
from base64 import urlsafe_b64decode

import requests
from authlib.integrations.requests_client import OAuth2Session
from authlib.common.security import generate_token
from authlib.jose import JsonWebKey, JsonWebToken
from authlib.oidc.core import CodeIDToken

api = sys.argv[1].rstrip("/")
REDIRECT = "http://127.0.0.1:9/callback"  # never contacted: the browser's redirect is read
EMAIL, PASSWORD = "authlib@example.com", "correct horse battery staple"
checks = []


def check(name, ok, detail=""):
    checks.append((name, bool(ok)))
    print(("ok   " if ok else "FAIL ") + name + ("" if ok else f": {detail}"))


class Form(html.parser.HTMLParser):
    """The hidden fields of the page's first form."""

    def __init__(self):
        super().__init__()
        self.fields, self.done = {}, False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "input" and a.get("type") == "hidden" and not self.done:
            self.fields[a["name"]] = a["value"]

    def handle_endtag(self, tag):
        if tag == "form":
            self.done = True


# An account, and a confidential client registered by the operator.
requests.post(f"{api}/users", json={"email": EMAIL, "password": {"value": PASSWORD}, "name": "Ada Lib",
                                    "mobile": {"countryCode": "+44", "number": "7400123456"}}).raise_for_status()
reg = requests.post(f"{api}/_admin/register_client", json={
    "name": "Authlib RP", "type": "confidential", "redirectUris": [REDIRECT], "postLogoutRedirectUris": [],
    "grantTypes": ["authorization_code", "refresh_token", "client_credentials"], "scopes": ["openid", "email", "profile"]})
reg.raise_for_status()
client_id, client_secret = reg.json()["clientId"], reg.json()["clientSecret"]

meta = requests.get(f"{api}/.well-known/openid-configuration").json()
check("discovery names this issuer", meta["issuer"] == api, meta.get("issuer"))
check("discovery: code flow, S256, RS256", meta["response_types_supported"] == ["code"]
      and meta["code_challenge_methods_supported"] == ["S256"] and "RS256" in meta["id_token_signing_alg_values_supported"])
jwks = JsonWebKey.import_key_set(requests.get(meta["jwks_uri"]).json())

rp = OAuth2Session(client_id, client_secret, scope="openid email profile", redirect_uri=REDIRECT,
                   code_challenge_method="S256", token_endpoint_auth_method="client_secret_basic")
verifier, nonce = generate_token(48), generate_token(20)
url, state = rp.create_authorization_url(meta["authorization_endpoint"], code_verifier=verifier, nonce=nonce)

# The browser: the page, its form posted with the cookie it was given.
browser = requests.Session()
page = browser.get(url, allow_redirects=False)
check("the hosted page is served, unframeable", page.status_code == 200
      and "frame-ancestors 'none'" in page.headers.get("content-security-policy", ""), page.status_code)
form = Form()
form.feed(page.text)
posted = browser.post(f"{api}/oauth2/authorize", data={**form.fields, "email": EMAIL, "password": PASSWORD},
                      allow_redirects=False)
location = posted.headers.get("location", "")
check("signing in redirects to the client with a code", posted.status_code == 303 and location.startswith(REDIRECT),
      f"{posted.status_code} {posted.text[:200]}")

token = rp.fetch_token(meta["token_endpoint"], authorization_response=location, state=state, code_verifier=verifier)
claims = JsonWebToken(["RS256"]).decode(token["id_token"], jwks, claims_cls=CodeIDToken,
                                        claims_options={"iss": {"essential": True, "value": api}},
                                        claims_params={"nonce": nonce, "client_id": client_id})
claims.validate()
check("the ID token validates (signature, iss, aud, nonce, exp)", claims["nonce"] == nonce and claims["aud"] == client_id)

info = rp.get(meta["userinfo_endpoint"]).json()
check("userinfo answers the email and name", info.get("sub") == claims["sub"] and info.get("email") == EMAIL
      and info.get("name") == "Ada Lib", info)

old_refresh = token["refresh_token"]
refreshed = rp.refresh_token(meta["token_endpoint"], refresh_token=old_refresh)
check("refresh rotates the refresh token", refreshed["refresh_token"] != old_refresh and "access_token" in refreshed)
# The spent token once more within the grace period (a client that lost the answer): the same
# successor; a second time, a replay: the login ends and every token of it is refused.
again = requests.post(meta["token_endpoint"], auth=(client_id, client_secret),
                      data={"grant_type": "refresh_token", "refresh_token": old_refresh})
check("... the spent one retried once gets the same successor", again.status_code == 200
      and again.json()["refresh_token"] == refreshed["refresh_token"], again.text)


def judge_like_api_gateway(access_token, issuer, audiences, scopes):
    """API Gateway's JWT authorizer, as its guide lists the steps: the token decoded; its
    algorithm RS or ES and its signature checked with the key of its kid from the jwks_uri of
    the issuer's discovery document; iss the configured issuer; aud (or client_id when there is
    no aud) one of the configured audiences; exp after now, nbf and iat before; scope (or scp)
    holding at least one of the route's scopes."""
    header = json.loads(urlsafe_b64decode(access_token.split(".")[0] + "=="))
    if header.get("alg") not in ("RS256", "RS384", "RS512", "ES256", "ES384", "ES512") or "kid" not in header:
        return False
    discovered = requests.get(f"{issuer}/.well-known/openid-configuration").json()
    keys = JsonWebKey.import_key_set(requests.get(discovered["jwks_uri"]).json())
    try:
        c = JsonWebToken([header["alg"]]).decode(access_token, keys)
    except Exception as e:  # a bad signature or an unknown kid
        print(f"     refused: {e}")
        return False
    now = time.time()
    aud = c["aud"] if "aud" in c else c.get("client_id")
    aud = aud if isinstance(aud, list) else [aud]
    raw = c.get("scope", c.get("scp", ""))
    granted = set(raw.split() if isinstance(raw, str) else raw)
    return (c.get("iss") == issuer and any(a in audiences for a in aud) and c["exp"] > now
            and c.get("nbf", 0) <= now and c.get("iat", 0) <= now and bool(granted & set(scopes)))


check("the access token passes API Gateway's JWT authorizer checks",
      judge_like_api_gateway(refreshed["access_token"], meta["issuer"], [client_id], ["email"]))
check("... and not with another audience",
      not judge_like_api_gateway(refreshed["access_token"], meta["issuer"], ["another-api"], ["email"]))

seen = rp.introspect_token(meta["introspection_endpoint"], token=refreshed["refresh_token"]).json()
check("introspection: the refresh token is active", seen.get("active") is True, seen)
revoked = rp.revoke_token(meta["revocation_endpoint"], token=refreshed["refresh_token"])
seen = rp.introspect_token(meta["introspection_endpoint"], token=refreshed["refresh_token"]).json()
check("revocation ends it", revoked.status_code == 200 and seen.get("active") is False, seen)

machine = OAuth2Session(client_id, client_secret, scope="email")
cc = machine.fetch_token(meta["token_endpoint"], grant_type="client_credentials")
check("client credentials: an access token, no ID token", "access_token" in cc and "id_token" not in cc
      and judge_like_api_gateway(cc["access_token"], meta["issuer"], [client_id], ["email"]))

replayed = requests.post(meta["token_endpoint"], auth=(client_id, client_secret),
                         data={"grant_type": "refresh_token", "refresh_token": old_refresh})
check("a refresh token of the ended login is refused", replayed.status_code == 400
      and replayed.json()["error"] == "invalid_grant", replayed.text)

failed = sum(1 for _, ok in checks if not ok)
print(f"test result: {'ok' if not failed else 'FAILED'}. {len(checks) - failed} passed; {failed} failed; 0 ignored "
      "(Authlib relying party against local-api)")
sys.exit(1 if failed else 0)
