# SPDX-License-Identifier: MIT
# sbx_soname(VAR LIBRARY): the SONAME a shared library records (what
# dlopen must ask for: util/dynlib.h), read with the toolchain's objdump.
function(sbx_soname var lib)
  if(NOT CMAKE_OBJDUMP)
    message(FATAL_ERROR "objdump is needed to read the SONAME of ${lib} (binutils)")
  endif()
  execute_process(COMMAND ${CMAKE_OBJDUMP} -p ${lib}
    OUTPUT_VARIABLE _out ERROR_VARIABLE _err RESULT_VARIABLE _rc)
  string(REGEX MATCH "SONAME[ \t]+([^ \t\r\n]+)" _m "${_out}")
  if(NOT _rc EQUAL 0 OR NOT CMAKE_MATCH_1)
    message(FATAL_ERROR "cannot read the SONAME of ${lib}: ${_err}")
  endif()
  set(${var} ${CMAKE_MATCH_1} PARENT_SCOPE)
endfunction()
