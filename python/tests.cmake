# pytest suites of the Python package (tests/python/test_*.py): each file is one CTest test
# labelled `system`, run with Debian's python3 against the package in the build tree and a real
# `trainload server` the suite starts on 127.0.0.1 (TRAINLOAD_BIN).
file(GLOB python_tests CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/tests/python/test_*.py)
foreach(test_file ${python_tests})
  get_filename_component(test_name ${test_file} NAME_WE)
  add_test(NAME python.${test_name}
           COMMAND /usr/bin/python3 -m pytest -q -p no:cacheprovider ${test_file}
           WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}/tests/python)
  set_tests_properties(python.${test_name} PROPERTIES
    LABELS system
    TIMEOUT 1800
    ENVIRONMENT
      "TRAINLOAD_BIN=$<TARGET_FILE:trainload>;PYTHONPATH=${CMAKE_BINARY_DIR}/python;PYTHONDONTWRITEBYTECODE=1")
endforeach()
