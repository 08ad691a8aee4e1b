# package.cmake: `cpack -G DEB` in a build directory makes
# inboxd_<version>_<arch>.deb from the install() rules (app/ installs the
# binary, packaging/ the data, config, man page and unit). Included at the
# end of the top-level CMakeLists.txt.
#
# The package's layout and maintainer scripts are described in
# packaging/README.md. Depends comes from dpkg-shlibdeps (package dpkg-dev)
# plus adduser for the postinst. The binary is stripped in the package.

set(INBOXD_PACKAGE_MAINTAINER "inboxd maintainers <inboxd@localhost>"
    CACHE STRING "Maintainer field of the .deb (Name <address>)")

set(CPACK_GENERATOR "DEB")
set(CPACK_PACKAGE_NAME "inboxd")
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_PACKAGE_CONTACT "${INBOXD_PACKAGE_MAINTAINER}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "shared support mailboxes on autopilot over IMAP and SMTP")
set(CPACK_PACKAGING_INSTALL_PREFIX "/usr")
set(CPACK_STRIP_FILES ON)

set(CPACK_DEBIAN_FILE_NAME "DEB-DEFAULT")
set(CPACK_DEBIAN_PACKAGE_SECTION "mail")
set(CPACK_DEBIAN_PACKAGE_PRIORITY "optional")
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${INBOXD_PACKAGE_MAINTAINER}")
# The extended description; CPack puts CPACK_PACKAGE_DESCRIPTION_SUMMARY
# before it as the synopsis and indents it as Debian wants.
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
    "inboxd watches a company's shared sales@ and support@ mailboxes with IMAP
IDLE, classifies every message (customer request, out-of-office, bounce,
mailing list, spam), acknowledges customers in their own language within
seconds, tracks every deadline of a written service policy with escalations,
and keeps an append-only, hash-chained audit trail in SQLite. Agents keep
answering from their own mail client; inboxd reads their replies in the Sent
folder and never changes what they see.")
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# dpkg-shlibdeps adds the shared libraries; the postinst needs adduser.
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser")
# sqlite3 for `sqlite3 /var/lib/inboxd/inboxd.db ".backup ..."` (README).
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "sqlite3")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    "${PROJECT_SOURCE_DIR}/packaging/conffiles"
    "${PROJECT_SOURCE_DIR}/packaging/postinst"
    "${PROJECT_SOURCE_DIR}/packaging/prerm"
    "${PROJECT_SOURCE_DIR}/packaging/postrm")
# Maintainer scripts 0755 and conffiles 0644 whatever the checkout's modes.
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION TRUE)

include(CPack)
