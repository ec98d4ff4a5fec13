# cmake -P driver for one fixture test of check_report_html.mjs:
#   cmake -DNODE=... -DSCRIPT=... -DHTML=... -DEXPECT=pass|fail [-DEXPECT_FAIL_REGEX=...]
#         [-DBREAK=what -DWORK=FILE] [-DSCREENSHOT=...] -P run_checker_case.cmake
# BREAK spoils the page first, written to WORK: each bad page is good.html with one defect, made
# here so that the fixtures cannot drift apart from the good one.
# EXPECT=pass: the checker must exit 0. EXPECT=fail: it must exit 1 (a failed check; 2 is a
# usage error, anything else a crash) AND print the FAIL line the fixture is about, so a bad
# fixture cannot "pass" because the browser failed to start or another check tripped instead.
foreach(var NODE SCRIPT HTML EXPECT)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "run_checker_case.cmake: -D${var}= is required")
  endif()
endforeach()

if(DEFINED BREAK)
  file(READ ${HTML} page)
  set(before "${page}")
  set(bars_fill "height=\"22\" fill=\"#3b6ea8\"")  # the reason-codes chart's bars
  if(BREAK STREQUAL "missing_chart")  # the reason-codes <svg> removed, its section kept
    string(FIND "${page}" "<svg class=\"chart\" data-chart=\"reason-codes\"" start)
    string(SUBSTRING "${page}" ${start} -1 rest)
    string(FIND "${rest}" "</svg>" length)
    math(EXPR end "${start} + ${length} + 6")
    string(SUBSTRING "${page}" 0 ${start} head)
    string(SUBSTRING "${page}" ${end} -1 tail)
    set(page "${head}${tail}")
  elseif(BREAK STREQUAL "empty_chart")  # every bar of width 0, labels kept
    string(REGEX REPLACE "width=\"[0-9.]+\" ${bars_fill}" "width=\"0\" ${bars_fill}" page "${page}")
  elseif(BREAK STREQUAL "invisible_marks")  # bars of the background colour
    string(REPLACE "${bars_fill}" "height=\"22\" fill=\"#ffffff\"" page "${page}")
  elseif(BREAK STREQUAL "external_resource")  # a stylesheet and an image from the network
    string(REPLACE "</head>" "<link rel=\"stylesheet\" href=\"http://example.invalid/report.css\"></head>" page "${page}")
    string(REPLACE "<h1>" "<h1><img src=\"http://example.invalid/logo.png\" alt=\"\" width=\"20\" height=\"20\"> " page "${page}")
  elseif(BREAK STREQUAL "script_error")  # an inline script that throws
    string(REPLACE "</body>" "<script>document.querySelector(\"[data-chart=missing]\").remove();</script></body>" page "${page}")
  else()
    message(FATAL_ERROR "run_checker_case.cmake: unknown BREAK '${BREAK}'")
  endif()
  if(page STREQUAL before)
    message(FATAL_ERROR "run_checker_case.cmake: BREAK=${BREAK} changed nothing in ${HTML}")
  endif()
  file(WRITE ${WORK} "${page}")
  set(HTML ${WORK})
endif()

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
