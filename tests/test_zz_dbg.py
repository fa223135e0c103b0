from tests.test_security_headers import *  # noqa
def test_dbg(https_app, users):
    client = https_app.test_client()
    r = client.get("/login")
    print(r.headers.getlist("Set-Cookie"))
    print(client._cookies)
    r = client.login("officer")
    print(r.status_code, r.get_data(as_text=True)[-1500:])
