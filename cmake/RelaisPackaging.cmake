# Debian packages from this build, one per install component (CPack's DEB generator):
#
#   relais                       the host, its user, the systemd unit, /etc/relais/relais.json
#   relais-connector-<name>      one per shipped plugin, at the plugin's own version
#   relais-dev                   the SDK: headers, support library, CMake package, template
#   relais-emulators             the API emulators (when the tests are built)
#
# CPack gives every package of one run the same version, so each connector is packed by a run
# of its own: packaging/cpack/<component>.cmake includes the CPackConfig.cmake that include(CPack)
# writes and narrows it to the component and its version. packaging/cpack/configs.txt lists
# those files; scripts/package (through packaging/build-debs) runs cpack on each.
#
# Files only the packages carry (the unit, the configuration, maintainer scripts' data) are
# EXCLUDE_FROM_ALL: `cmake --install` from the source tree installs what it always did.

set(RELAIS_PACKAGE_MAINTAINER "Relais maintainers <relais-maintainers@example.org>"
    CACHE STRING "The Maintainer field of the Debian packages")

set(relais_pkg_src "${PROJECT_SOURCE_DIR}/packaging")
set(relais_pkg_out "${CMAKE_BINARY_DIR}/packaging")

# The host versions that speak each plugin ABI version: "<abi>:<first host version>". The host
# drops an ABI version only in a new major version, so a connector speaking ABI n depends on a
# host from the first one that speaks n to the next major version of this one.
set(RELAIS_HOST_ABI_SINCE "1:0.1.0")
math(EXPR relais_next_major "${PROJECT_VERSION_MAJOR} + 1")
set(RELAIS_HOST_NEXT_MAJOR "${relais_next_major}.0.0")

# A semantic version as a Debian version: a pre-release sorts before its release (1.2.0~rc.1).
function(relais_debian_version out semver)
    string(REGEX REPLACE "^([0-9]+\\.[0-9]+\\.[0-9]+)-" "\\1~" version "${semver}")
    set(${out} "${version}" PARENT_SCOPE)
endfunction()

# The first host version that speaks any ABI version in [abi_min, abi_max].
function(relais_first_host_for_abi out abi_min abi_max)
    set(first "")
    foreach(entry IN LISTS RELAIS_HOST_ABI_SINCE)
        string(REPLACE ":" ";" pair "${entry}")
        list(GET pair 0 abi)
        list(GET pair 1 since)
        if(abi GREATER_EQUAL abi_min AND abi LESS_EQUAL abi_max)
            if(first STREQUAL "" OR since VERSION_LESS first)
                set(first "${since}")
            endif()
        endif()
    endforeach()
    if(first STREQUAL "")
        message(FATAL_ERROR "no host version speaks plugin ABI ${abi_min}..${abi_max} (RELAIS_HOST_ABI_SINCE)")
    endif()
    set(${out} "${first}" PARENT_SCOPE)
endfunction()

# Per package: its copyright file and its changelog (a native package's changelog.gz).
if(DEFINED ENV{SOURCE_DATE_EPOCH})
    string(TIMESTAMP relais_pkg_date "%a, %d %b %Y %H:%M:%S +0000" UTC)
else()
    execute_process(COMMAND git log -1 --format=%cD WORKING_DIRECTORY "${PROJECT_SOURCE_DIR}"
        OUTPUT_VARIABLE relais_pkg_date OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET RESULT_VARIABLE git_failed)
    if(git_failed OR relais_pkg_date STREQUAL "")
        string(TIMESTAMP relais_pkg_date "%a, %d %b %Y %H:%M:%S +0000" UTC)
    endif()
endif()
function(relais_package_docs component package version summary)
    set(dir "${relais_pkg_out}/doc/${package}")
    file(MAKE_DIRECTORY "${dir}")
    file(WRITE "${dir}/changelog"
        "${package} (${version}) unstable; urgency=medium\n\n  * ${summary}\n\n -- ${RELAIS_PACKAGE_MAINTAINER}  ${relais_pkg_date}\n")
    execute_process(COMMAND gzip -9nf "${dir}/changelog" RESULT_VARIABLE failed)
    if(failed)
        message(FATAL_ERROR "gzip failed on ${dir}/changelog")
    endif()
    install(FILES "${relais_pkg_src}/debian/copyright" "${dir}/changelog.gz"
        DESTINATION "${CMAKE_INSTALL_DATADIR}/doc/${package}" COMPONENT ${component} EXCLUDE_FROM_ALL)
    if(EXISTS "${relais_pkg_src}/debian/${package}.lintian-overrides")
        install(FILES "${relais_pkg_src}/debian/${package}.lintian-overrides"
            DESTINATION "${CMAKE_INSTALL_DATADIR}/lintian/overrides" RENAME "${package}"
            COMPONENT ${component} EXCLUDE_FROM_ALL)
    endif()
endfunction()

# ---- relais: the host ----
find_package(PkgConfig REQUIRED)
pkg_get_variable(RELAIS_SYSTEMD_UNIT_DIR systemd systemdsystemunitdir)
if(NOT RELAIS_SYSTEMD_UNIT_DIR)
    set(RELAIS_SYSTEMD_UNIT_DIR /lib/systemd/system)
endif()
install(FILES "${relais_pkg_src}/relais.service" DESTINATION "${RELAIS_SYSTEMD_UNIT_DIR}"
    COMPONENT relais EXCLUDE_FROM_ALL)
install(FILES "${relais_pkg_src}/relais.json" DESTINATION /etc/relais COMPONENT relais EXCLUDE_FROM_ALL)
file(MAKE_DIRECTORY "${relais_pkg_out}/man")
execute_process(COMMAND gzip -9n -c "${relais_pkg_src}/relais.1" OUTPUT_FILE "${relais_pkg_out}/man/relais.1.gz"
    RESULT_VARIABLE failed)
if(failed)
    message(FATAL_ERROR "gzip failed on packaging/relais.1")
endif()
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${relais_pkg_src}/relais.1")
install(FILES "${relais_pkg_out}/man/relais.1.gz" DESTINATION "${CMAKE_INSTALL_MANDIR}/man1"
    COMPONENT relais EXCLUDE_FROM_ALL)
install(FILES "${PROJECT_SOURCE_DIR}/README.md" "${PROJECT_SOURCE_DIR}/config/relais.example.json"
    DESTINATION "${CMAKE_INSTALL_DATADIR}/doc/relais" COMPONENT relais EXCLUDE_FROM_ALL)
# The plugin directory, owned by the host's package; connectors add their files to it.
install(DIRECTORY DESTINATION "${RELAIS_PLUGIN_INSTALL_DIR}" COMPONENT relais EXCLUDE_FROM_ALL)
relais_package_docs(relais relais "${PROJECT_VERSION}" "Relais ${PROJECT_VERSION}, built from its source tree.")
file(WRITE "${relais_pkg_out}/relais/conffiles" "/etc/relais/relais.json\n")
foreach(script postinst prerm postrm)
    configure_file("${relais_pkg_src}/debian/relais.${script}" "${relais_pkg_out}/relais/${script}" COPYONLY)
endforeach()
set(CPACK_DEBIAN_RELAIS_PACKAGE_NAME relais)
set(CPACK_COMPONENT_RELAIS_DESCRIPTION "integration host for business software, with connector plugins
Relais runs the connectors of an ERP to external APIs (Chorus Pro, INSEE
Sirene, Exchange, Universign, Mindee) as plugins loaded through a stable C
ABI, and does the common work once: configuration and secrets, logging,
connection tests, an authenticated HTTP API, a web console and a durable job
queue with retries, quotas and schedules.
.
This package holds the host (relais serve, the command line), its systemd
unit and its default configuration. Connectors come in the
relais-connector-* packages.")
# adduser: the postinst creates the system user. The libraries come from dpkg-shlibdeps.
set(CPACK_DEBIAN_RELAIS_PACKAGE_DEPENDS "adduser")
set(CPACK_DEBIAN_RELAIS_PACKAGE_SUGGESTS "relais-connector-diagnostics")
set(CPACK_DEBIAN_RELAIS_PACKAGE_CONTROL_EXTRA
    "${relais_pkg_out}/relais/conffiles;${relais_pkg_out}/relais/postinst;${relais_pkg_out}/relais/prerm;${relais_pkg_out}/relais/postrm")

# ---- relais-connector-<name>: one per shipped plugin ----
get_property(relais_shipped_plugins GLOBAL PROPERTY RELAIS_SHIPPED_PLUGINS)
set(relais_cpack_configs "${relais_pkg_out}/cpack/base.cmake")
# "<plugin> <version> <package> <Debian version>" per line, for the packaging tests.
set(relais_shipped_text "")
foreach(plugin IN LISTS relais_shipped_plugins)
    get_property(version GLOBAL PROPERTY RELAIS_PLUGIN_${plugin}_VERSION)
    get_property(abi_min GLOBAL PROPERTY RELAIS_PLUGIN_${plugin}_ABI_MIN)
    get_property(abi_max GLOBAL PROPERTY RELAIS_PLUGIN_${plugin}_ABI_MAX)
    relais_debian_version(deb_version "${version}")
    relais_first_host_for_abi(first_host ${abi_min} ${abi_max})
    string(REPLACE "_" "-" package "relais-connector-${plugin}")
    set(component connector_${plugin})
    string(TOUPPER "${component}" COMPONENT)

    relais_package_docs(${component} ${package} "${deb_version}" "The ${plugin} connector ${version}, built from the Relais tree.")
    foreach(script postinst postrm)
        configure_file("${relais_pkg_src}/debian/connector.${script}.in" "${relais_pkg_out}/${component}/${script}" @ONLY)
    endforeach()
    set(CPACK_DEBIAN_${COMPONENT}_PACKAGE_NAME "${package}")
    set(CPACK_COMPONENT_${COMPONENT}_DESCRIPTION "${plugin} connector for the Relais integration host
The ${plugin} connector plugin (its library and manifest) for Relais,
version ${version}, speaking the plugin ABI ${abi_min} to ${abi_max}. Installing or
upgrading it reloads the plugins of a running relais service, without a
restart.")
    set(CPACK_DEBIAN_${COMPONENT}_PACKAGE_DEPENDS "relais (>= ${first_host}), relais (<< ${RELAIS_HOST_NEXT_MAJOR})")
    set(CPACK_DEBIAN_${COMPONENT}_PACKAGE_CONTROL_EXTRA
        "${relais_pkg_out}/${component}/postinst;${relais_pkg_out}/${component}/postrm")
    set(config "${relais_pkg_out}/cpack/${component}.cmake")
    file(WRITE "${config}" "# cpack --config ${config}: the package ${package} ${deb_version}\n"
        "include(\"${CMAKE_BINARY_DIR}/CPackConfig.cmake\")\n"
        "set(CPACK_COMPONENTS_ALL ${component})\n"
        "set(CPACK_PACKAGE_VERSION \"${version}\")\n"
        "set(CPACK_DEBIAN_PACKAGE_VERSION \"${deb_version}\")\n")
    list(APPEND relais_cpack_configs "${config}")
    string(APPEND relais_shipped_text "${plugin} ${version} ${package} ${deb_version}\n")
endforeach()
file(WRITE "${relais_pkg_out}/shipped-plugins.txt" "${relais_shipped_text}")

# ---- relais-dev: the SDK ----
relais_package_docs(dev relais-dev "${PROJECT_VERSION}" "The Relais SDK ${PROJECT_VERSION}, built from its source tree.")
set(CPACK_DEBIAN_DEV_PACKAGE_NAME relais-dev)
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)
set(CPACK_COMPONENT_DEV_DESCRIPTION "SDK to write connector plugins for the Relais integration host
The C header of the plugin ABI, the C++ helpers, the connector support
library (HTTP client with TLS verification and error classes, OAuth2 token
cache, settings, XML), the CMake package (find_package(RelaisSDK),
relais_add_plugin) and a template plugin in /usr/share/relais/sdk-template.")
# Nothing to compute: a static library and headers. The CMake package finds Poco's, and the
# template needs CMake and a C++ compiler.
set(CPACK_DEBIAN_DEV_PACKAGE_DEPENDS "libpoco-dev")
set(CPACK_DEBIAN_DEV_PACKAGE_RECOMMENDS "cmake, g++")
set(CPACK_DEBIAN_DEV_PACKAGE_SUGGESTS "relais")

set(relais_base_components relais dev)

# ---- relais-emulators ----
set(relais_emulators "")
foreach(plugin IN LISTS relais_shipped_plugins)
    if(TARGET ${plugin}_emulator_server)
        list(APPEND relais_emulators ${plugin}_emulator_server)
    endif()
endforeach()
if(relais_emulators)
    install(TARGETS ${relais_emulators} RUNTIME DESTINATION "${CMAKE_INSTALL_BINDIR}"
        COMPONENT emulators EXCLUDE_FROM_ALL)
    relais_package_docs(emulators relais-emulators "${PROJECT_VERSION}" "The Relais API emulators ${PROJECT_VERSION}, built from its source tree.")
    set(CPACK_DEBIAN_EMULATORS_PACKAGE_NAME relais-emulators)
    set(CPACK_COMPONENT_EMULATORS_DESCRIPTION "emulators of the APIs the Relais connectors speak
Local HTTPS servers (with a test CA they write) that answer as INSEE
Sirene, Chorus Pro behind PISTE, Mindee, Universign and Microsoft Exchange
(EWS, Graph and the token endpoint) do, with demo accounts, quotas and faults
on demand: for a demo of Relais or an integrator's own tests. Never point a
production connector at them.")
    list(APPEND relais_base_components emulators)
endif()

# ---- CPack ----
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME relais)
set(CPACK_PACKAGE_VENDOR "Relais")
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_PACKAGE_CONTACT "${RELAIS_PACKAGE_MAINTAINER}")
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${RELAIS_PACKAGE_MAINTAINER}")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL ${relais_base_components})
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION misc)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_STRIP_FILES ON)
set(CPACK_PACKAGE_DIRECTORY "${relais_pkg_out}/cpack")
set(CPACK_OUTPUT_FILE_PREFIX "${CMAKE_BINARY_DIR}/packages")
set(CPACK_THREADS 0)
include(CPack)

file(WRITE "${relais_pkg_out}/cpack/base.cmake"
    "# cpack --config ${relais_pkg_out}/cpack/base.cmake: relais, relais-dev and relais-emulators\n"
    "include(\"${CMAKE_BINARY_DIR}/CPackConfig.cmake\")\n")
list(JOIN relais_cpack_configs "\n" relais_cpack_configs_text)
file(WRITE "${relais_pkg_out}/cpack/configs.txt" "${relais_cpack_configs_text}\n")
