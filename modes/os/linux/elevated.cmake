# The Linux driver's objects of the elevated mode (accounts, groups, POSIX
# ACLs, the nft table, installed files).  driver.c itself is listed in
# modes/CMakeLists.txt; it calls into these, so this file must be included
# wherever driver.c is built:  include(${CMAKE_SOURCE_DIR}/modes/os/linux/elevated.cmake)
find_package(PkgConfig REQUIRED)
pkg_check_modules(SBX_LIBACL REQUIRED IMPORTED_TARGET libacl)
pkg_check_modules(SBX_LIBNFTABLES REQUIRED IMPORTED_TARGET libnftables)

target_sources(sbxengine PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/driver_util.c
  ${CMAKE_CURRENT_LIST_DIR}/driver_accounts.c
  ${CMAKE_CURRENT_LIST_DIR}/driver_acl.c
  ${CMAKE_CURRENT_LIST_DIR}/driver_files.c
  ${CMAKE_CURRENT_LIST_DIR}/driver_marked.c
  ${CMAKE_CURRENT_LIST_DIR}/driver_grants.c
  ${CMAKE_CURRENT_LIST_DIR}/driver_nft.c
)
target_link_libraries(sbxengine PUBLIC PkgConfig::SBX_LIBACL PkgConfig::SBX_LIBNFTABLES)
