# Helpers that give every keel target the same warnings and layout.

# -Wno-restrict: GCC 12 reports false positives inside std::string at -O2
# (GCC bug 105329); the warning is useless there until GCC 13.
set(KEEL_WARNINGS -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Werror)
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
  list(APPEND KEEL_WARNINGS -Wno-restrict)
endif()
# With the sanitizers' instrumentation GCC reports -Wmaybe-uninitialized
# inside std::variant and std::string that do not exist without it.
if(KEEL_SANITIZE AND CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  list(APPEND KEEL_WARNINGS -Wno-maybe-uninitialized)
endif()

# keel_library(NAME SOURCES a.cpp b.cpp DEPS other_targets... [PRIVATE_DEPS targets...])
# One static library per src/ folder; headers are included as "folder/file.h".
# DEPS are what the library's headers need (PUBLIC); PRIVATE_DEPS only its
# .cpp files, so they do not leak into the include path of its users.
function(keel_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;PRIVATE_DEPS;PROPERTIES" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_compile_options(${name} PRIVATE ${KEEL_WARNINGS})
  target_link_libraries(${name} PUBLIC ${ARG_DEPS})
  if(ARG_PRIVATE_DEPS)
    target_link_libraries(${name} PRIVATE ${ARG_PRIVATE_DEPS})
  endif()
endfunction()

# keel_test(NAME SOURCES a_test.cpp DEPS libs... [PROPERTIES ctest properties...])
# registers a GoogleTest binary with CTest. Tests find shared fixtures through the KEEL_SOURCE_DIR definition.
function(keel_test name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;PROPERTIES" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_compile_options(${name} PRIVATE ${KEEL_WARNINGS})
  target_compile_definitions(${name} PRIVATE
    KEEL_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
    KEEL_BINARY_DIR="${PROJECT_BINARY_DIR}")
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gtest_main)
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60 PROPERTIES TIMEOUT 300 ${ARG_PROPERTIES})
endfunction()
