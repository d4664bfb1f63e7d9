# connhub_add_plugin(<name> SOURCES <file>... [LIBRARIES <lib>...])
#
# Builds a connhub plugin: a MODULE library <name>.so (no "lib" prefix) in
# C11, with hidden visibility so that only connhub_plugin_entry (marked
# CH_EXPORT by CH_PLUGIN_DEFINE) is exported, linked with -z defs so an
# unresolved symbol fails the build instead of the host's dlopen(), and
# linked with the SDK (connhub::sdk) plus LIBRARIES.
#
# The same file serves both builds:
#  - installed with the SDK, find_package(connhub) includes it after the
#    imported target connhub::sdk exists;
#  - inside the connhub tree, sdk/CMakeLists.txt includes it so bundled
#    plugins are built exactly like a third party's. There it also applies
#    ch_target_warnings() and puts the module in CH_BUNDLED_PLUGINS_DIR,
#    the host's plugin directory in the build tree.
#
# Installing: when the variable CONNHUB_PLUGIN_INSTALL_DIR is set (not
# empty) where the function is called, `cmake --install` puts the plugin
# there (component "plugins"). find_package(connhub) sets it to
# ${CMAKE_INSTALL_LIBDIR}/connhub/plugins unless it is defined already (set
# it to "" beforehand to install nothing); in the connhub tree only
# plugins/ sets it, so test fixtures built with this function are never
# installed.

include_guard(GLOBAL)
include(GNUInstallDirs)

function(connhub_add_plugin name)
  cmake_parse_arguments(PARSE_ARGV 1 CHP "" "" "SOURCES;LIBRARIES")
  if(CHP_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR
      "connhub_add_plugin(${name}): unknown arguments ${CHP_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT CHP_SOURCES)
    message(FATAL_ERROR "connhub_add_plugin(${name}): SOURCES is required")
  endif()
  if(NOT TARGET connhub::sdk)
    message(FATAL_ERROR
      "connhub_add_plugin(${name}): connhub::sdk is not defined; "
      "call find_package(connhub) first")
  endif()

  add_library(${name} MODULE ${CHP_SOURCES})
  set_target_properties(${name} PROPERTIES
    PREFIX ""
    C_STANDARD 11
    C_STANDARD_REQUIRED ON
    C_VISIBILITY_PRESET hidden)
  target_link_options(${name} PRIVATE "LINKER:-z,defs")
  target_link_libraries(${name} PRIVATE connhub::sdk ${CHP_LIBRARIES})

  # Inside the connhub tree only.
  if(COMMAND ch_target_warnings)
    ch_target_warnings(${name})
  endif()
  if(DEFINED CH_BUNDLED_PLUGINS_DIR)
    set_target_properties(${name} PROPERTIES
      LIBRARY_OUTPUT_DIRECTORY "${CH_BUNDLED_PLUGINS_DIR}")
  endif()

  if(CONNHUB_PLUGIN_INSTALL_DIR)
    install(TARGETS ${name}
      LIBRARY DESTINATION ${CONNHUB_PLUGIN_INSTALL_DIR}
      COMPONENT plugins)
  endif()
endfunction()
