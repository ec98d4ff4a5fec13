# Installation layout and the .deb (CPack DEB generator), for `make package`. The package build
# configures with CMAKE_INSTALL_PREFIX=/usr; CPack installs relative destinations under
# CPACK_PACKAGING_INSTALL_PREFIX (/usr) whatever the tree was configured with, which lets the
# package test run cpack on the test build tree. What belongs to the system's own layout
# (/etc, the systemd unit directory) has absolute destinations: install with DESTDIR.
set(_pkg ${PROJECT_SOURCE_DIR}/packaging)
# cpack (and `make install`) would otherwise build every target first, tests included: the
# package test packs the binary the test build already has, and `make package` builds first.
set(CMAKE_SKIP_INSTALL_ALL_DEPENDENCY ON)
set(_debian ${_pkg}/debian)

install(TARGETS auditrelay RUNTIME DESTINATION bin)
install(FILES ${PROJECT_SOURCE_DIR}/systemd/auditrelay.service DESTINATION /lib/systemd/system)
install(FILES ${PROJECT_SOURCE_DIR}/conf/production.yaml DESTINATION /etc/auditrelay
        RENAME auditrelay.yaml)
# Secrets for the unit's EnvironmentFile=: root's alone.
install(FILES ${_pkg}/auditrelay.default DESTINATION /etc/default RENAME auditrelay
        PERMISSIONS OWNER_READ OWNER_WRITE)
install(FILES ${_pkg}/elastic/index-template.json ${_pkg}/elastic/ilm-policy.json
        DESTINATION share/auditrelay/elastic)
install(FILES ${_debian}/copyright ${PROJECT_SOURCE_DIR}/README.md
        DESTINATION share/doc/auditrelay)

# Debian wants the man page and the changelog compressed with gzip -9n (no name, no time).
set(_gz ${PROJECT_BINARY_DIR}/package)
configure_file(${_debian}/changelog.in ${_gz}/changelog @ONLY)
add_custom_command(
  OUTPUT ${_gz}/auditrelay.1.gz ${_gz}/changelog.gz
  COMMAND ${CMAKE_COMMAND} -E make_directory ${_gz}
  COMMAND gzip -9n -c ${_pkg}/auditrelay.1 > ${_gz}/auditrelay.1.gz
  COMMAND gzip -9n -c ${_gz}/changelog > ${_gz}/changelog.gz
  DEPENDS ${_pkg}/auditrelay.1 ${_gz}/changelog
  VERBATIM)
add_custom_target(auditrelay_package_docs ALL
  DEPENDS ${_gz}/auditrelay.1.gz ${_gz}/changelog.gz)
install(FILES ${_gz}/auditrelay.1.gz DESTINATION share/man/man1)
install(FILES ${_gz}/changelog.gz DESTINATION share/doc/auditrelay)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME auditrelay)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "auditrelay maintainers <auditrelay@example.org>"
    CACHE STRING "Maintainer field of the .deb")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # auditrelay_<version>_<arch>.deb
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://example.org/auditrelay"
    CACHE STRING "Homepage field of the .deb")
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)   # the libraries' packages, from dpkg-shlibdeps
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser")
# CPack indents the lines after the synopsis itself.
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION "ships LLM-gateway audit records to a SIEM
auditrelay tails the JSON-lines audit files of an LLM gateway (or receives
records over HTTP), normalizes every policy decision into an Elastic ECS
document, keeps it in a checksummed disk buffer and delivers it to
Elasticsearch, Splunk HEC or signed webhooks, exactly once where the
receiver allows it.
.
The package installs a hardened systemd service (Type=notify), enabled but
not started: edit /etc/auditrelay/auditrelay.yaml and /etc/default/auditrelay
first.")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${_debian}/conffiles ${_debian}/postinst ${_debian}/prerm ${_debian}/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
