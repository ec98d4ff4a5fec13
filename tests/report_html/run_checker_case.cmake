# cmake -P driver for one fixture test of check_report_html.mjs:
#   cmake -DNODE=... -DSCRIPT=... -DHTML=... -DEXPECT=pass|fail [-DEXPECT_FAIL_REGEX=...]
#         [-DSCREENSHOT=...] -P run_checker_case.cmake
# EXPECT=pass: the checker must exit 0. EXPECT=fail: it must exit 1 (a failed check; 2 is a
# usage error, anything else a crash) AND print the FAIL line the fixture is about, so a bad
# fixture cannot "pass" because the browser failed to start or another check tripped instead.
foreach(var NODE SCRIPT HTML EXPECT)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "run_checker_case.cmake: -D${var}= is required")
  endif()
endforeach()

set(args --html ${HTML})
if(DEFINED SCREENSHOT)
  list(APPEND args --screenshot ${SCREENSHOT})
endif()
execute_process(COMMAND ${NODE} ${SCRIPT} ${args}
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
message("${out}${err}")

if(EXPECT STREQUAL "pass")
  if(NOT rc STREQUAL "0")
    message(FATAL_ERROR "expected the checker to pass ${HTML}, it exited ${rc}")
  endif()
elseif(EXPECT STREQUAL "fail")
  if(NOT rc STREQUAL "1")
    message(FATAL_ERROR "expected the checker to fail ${HTML} with exit 1, it exited ${rc}")
  endif()
  if(DEFINED EXPECT_FAIL_REGEX AND NOT out MATCHES "${EXPECT_FAIL_REGEX}")
    message(FATAL_ERROR "the checker failed ${HTML}, but printed no line matching '${EXPECT_FAIL_REGEX}'")
  endif()
  # Failing is only right for the reason the fixture is about: the browser must have run.
  if(NOT out MATCHES "PASS loaded: ")
    message(FATAL_ERROR "the checker failed ${HTML} before the page loaded")
  endif()
else()
  message(FATAL_ERROR "EXPECT must be pass or fail, not '${EXPECT}'")
endif()
