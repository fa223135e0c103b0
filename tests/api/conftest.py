from tests.applications.conftest import (  # noqa: F401 - fixtures shared with the application tests
    issuer,
    keystore,
    make_application,
    store,
    stored_pdf,
    stored_photo,
    valid_input,
)
