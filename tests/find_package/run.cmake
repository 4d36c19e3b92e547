# Installs the fpx already built in BUILD_DIR into WORK_DIR/prefix (so the installed headers and
# libraries are exactly what the tests ran against), then builds and runs the consumer against
# that prefix alone.
file(REMOVE_RECURSE ${WORK_DIR})
foreach(step
    "--install;${BUILD_DIR};--prefix;${WORK_DIR}/prefix"
    "-S;${SOURCE_DIR}/tests/find_package;-B;${WORK_DIR}/consumer;-DCMAKE_PREFIX_PATH=${WORK_DIR}/prefix;-DCMAKE_BUILD_TYPE=Release"
    "--build;${WORK_DIR}/consumer")
  execute_process(COMMAND ${CMAKE_COMMAND} ${step} RESULT_VARIABLE rc OUTPUT_QUIET)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "step failed: cmake ${step}")
  endif()
endforeach()
# The internals stay out of the installed interface.
file(GLOB_RECURSE installed_details ${WORK_DIR}/prefix/include/fpx/*/detail/*)
if(installed_details)
  message(FATAL_ERROR "detail headers were installed: ${installed_details}")
endif()
execute_process(COMMAND ${WORK_DIR}/consumer/consumer RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "consumer computed the wrong code")
endif()
# The Python package went into the prefix's dist-packages (when the build has it): it imports
# from there alone.
if(PYTHON AND PYTHON_DIR)
  execute_process(COMMAND ${CMAKE_COMMAND} -E env --unset=PYTHONPATH PYTHONPATH=${WORK_DIR}/prefix/${PYTHON_DIR}
                          ${PYTHON} -c "import fpx; assert fpx.__file__.startswith('${WORK_DIR}/prefix/'), fpx.__file__; assert fpx.round([464.0], 'e4m3').tolist() == [448.0]"
                  WORKING_DIRECTORY ${WORK_DIR} RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "the installed Python package does not import from ${WORK_DIR}/prefix/${PYTHON_DIR}")
  endif()
endif()
