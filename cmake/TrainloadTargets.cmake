# trainload_library(<name> DEPS <targets...>)
#   One folder = one static library named trainload_<name>. Every *.cc in the
#   folder that is not a *_test.cc or *_fuzz.cc goes into the library; every
#   *_test.cc becomes a GoogleTest binary registered with CTest, labelled
#   `unit` unless the file name ends in _component_test.cc (label `component`).
function(trainload_library name)
  cmake_parse_arguments(ARG "" "" "DEPS;TEST_DEPS" ${ARGN})
  file(GLOB sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.cc)
  list(FILTER sources EXCLUDE REGEX "_(test|fuzz)\\.cc$")
  file(GLOB tests CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*_test.cc)
  if(NOT sources)
    message(STATUS "trainload_${name}: no sources yet, skipped")
    return()
  endif()
  add_library(trainload_${name} STATIC ${sources})
  target_include_directories(trainload_${name} PUBLIC
    ${PROJECT_SOURCE_DIR}/include ${PROJECT_SOURCE_DIR}/src ${LEVELDB_INCLUDE})
  target_link_libraries(trainload_${name} PUBLIC ${ARG_DEPS})
  foreach(test_source ${tests})
    get_filename_component(test_name ${test_source} NAME_WE)
    add_executable(${test_name} ${test_source})
    target_link_libraries(${test_name} PRIVATE trainload_${name} ${ARG_TEST_DEPS}
                          GTest::gtest GTest::gmock GTest::gtest_main)
    if(test_name MATCHES "_component_test$")
      set(label component)
    else()
      set(label unit)
    endif()
    add_test(NAME ${name}.${test_name} COMMAND ${test_name})
    set_tests_properties(${name}.${test_name} PROPERTIES LABELS ${label} TIMEOUT 600)
  endforeach()
endfunction()
