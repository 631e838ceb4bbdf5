# Fails if an ISA-specific object file (cpu/x86/*.cc, built with -mavx2 or
# -mavx512*) defines a symbol other than its own namespace's entry points:
# a weak or unique symbol (an inline function, a template instantiation) is
# merged with baseline code's copy at link time, and the linker may keep the
# AVX-512 one, which then faults on a CPU without AVX-512.
#   cmake -DOBJECTS="a.o|b.o" -P check_isa_objects.cmake
string(REPLACE "|" ";" objects "${OBJECTS}")
set(failures "")
foreach(obj ${objects})
  execute_process(COMMAND nm -C --defined-only ${obj} OUTPUT_VARIABLE out RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "nm failed on ${obj}")
  endif()
  string(REPLACE "\n" ";" lines "${out}")
  foreach(line ${lines})
    if(line MATCHES "^[0-9a-f]+ ([A-Za-z]) (.*)$")
      set(kind "${CMAKE_MATCH_1}")
      set(name "${CMAKE_MATCH_2}")
      if(kind MATCHES "^[WVvwuiU]$")
        list(APPEND failures "${obj}: shared symbol (${kind}) ${name}")
      elseif(kind MATCHES "^[TDBR]$" AND NOT name MATCHES "^strata::cpu::(avx2|avx512|amx)::")
        list(APPEND failures "${obj}: global symbol outside the ISA namespace (${kind}) ${name}")
      endif()
    endif()
  endforeach()
endforeach()
if(failures)
  string(REPLACE ";" "\n" text "${failures}")
  message(FATAL_ERROR "ISA objects export symbols baseline code could link to:\n${text}")
endif()
list(LENGTH objects n)
message(STATUS "${n} ISA object files: only their own entry points are global")
