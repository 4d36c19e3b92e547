# Installs fpx from SOURCE_DIR into WORK_DIR/prefix, then builds and runs the consumer against it.
file(REMOVE_RECURSE ${WORK_DIR})
foreach(step
    "-S;${SOURCE_DIR};-B;${WORK_DIR}/fpx;-DCMAKE_BUILD_TYPE=Release;-DFPX_BUILD_TESTS=OFF;-DFPX_BUILD_CLI=OFF;-DFPX_INSTALL=ON;-DCMAKE_INSTALL_PREFIX=${WORK_DIR}/prefix"
    "--build;${WORK_DIR}/fpx;-j2"
    "--install;${WORK_DIR}/fpx"
    "-S;${SOURCE_DIR}/tests/find_package;-B;${WORK_DIR}/consumer;-DCMAKE_PREFIX_PATH=${WORK_DIR}/prefix"
    "--build;${WORK_DIR}/consumer")
  execute_process(COMMAND ${CMAKE_COMMAND} ${step} RESULT_VARIABLE rc OUTPUT_QUIET)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "step failed: cmake ${step}")
  endif()
endforeach()
execute_process(COMMAND ${WORK_DIR}/consumer/consumer RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "consumer computed the wrong code")
endif()
