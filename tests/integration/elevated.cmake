# Integration tests of the elevated mode on Linux: they need root (they
# create accounts, a group, ACL entries and an nft table with names unique
# to the test process, and remove them) and skip with 77 otherwise.
# include(${CMAKE_SOURCE_DIR}/tests/integration/elevated.cmake) after the
# engine, the launcher (modes/elevated) and tests/ are defined.
find_package(PkgConfig REQUIRED)
pkg_check_modules(SBXI_CMOCKA REQUIRED IMPORTED_TARGET cmocka)
foreach(_t elevated_run elevated_net elevated_abuse)
  if(EXISTS ${CMAKE_CURRENT_LIST_DIR}/${_t}.c)
    add_executable(${_t} ${CMAKE_CURRENT_LIST_DIR}/${_t}.c
                         ${CMAKE_CURRENT_LIST_DIR}/elevated_env.c)
    target_link_libraries(${_t} PRIVATE sbxengine PkgConfig::SBXI_CMOCKA)
    set_target_properties(${_t} PROPERTIES RUNTIME_OUTPUT_DIRECTORY
                          ${CMAKE_BINARY_DIR}/tests/integration)
    add_test(NAME integration.${_t} COMMAND ${_t})
    set_tests_properties(integration.${_t} PROPERTIES
      ENVIRONMENT "SBX_LAUNCHER_SOURCE=$<TARGET_FILE:sbx-launch>;SBX_LAUNCHER_PLAIN=$<TARGET_FILE:sbx-launch>"
      SKIP_RETURN_CODE 77
      # Accounts and the shadow files: one suite at a time.
      RESOURCE_LOCK sbx-elevated-machine
      TIMEOUT 300
      LABELS "integration;root")
  endif()
endforeach()

# Not a test: drives the plans for bench/grant_bench.sh.
add_executable(elevated-tool ${CMAKE_CURRENT_LIST_DIR}/elevated_tool.c)
target_link_libraries(elevated-tool PRIVATE sbxengine)
set_target_properties(elevated-tool PROPERTIES RUNTIME_OUTPUT_DIRECTORY
                      ${CMAKE_BINARY_DIR}/tests/integration)
