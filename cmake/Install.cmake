# `make install` (cmake --install): the fogsched command, the policy SDK (the shared
# libraries core and policies, the headers a policy author needs, a CMake package)
# and the Python package. Everything finds its libraries relative to itself, so the
# prefix and DESTDIR can be anything.
include(CMakePackageConfigHelpers)

set(FOGSCHED_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/fogsched)

install(TARGETS fogsched RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS fogsched_core fogsched_policies EXPORT fogschedTargets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})

# The contract and its vocabulary, the parameter and plugin types, the test fake;
# not the scenario model, the simulator or live mode.
install(FILES
    core/include/fogsched/core/decision.h
    core/include/fogsched/core/decision_rules.h
    core/include/fogsched/core/errors.h
    core/include/fogsched/core/ids.h
    core/include/fogsched/core/invocation.h
    core/include/fogsched/core/known_loads.h
    core/include/fogsched/core/learned_model.h
    core/include/fogsched/core/load.h
    core/include/fogsched/core/policy.h
    core/include/fogsched/core/policy_spec.h
    core/include/fogsched/core/rng.h
    core/include/fogsched/core/time.h
    core/include/fogsched/core/units.h
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/fogsched/core)
install(FILES core/include/fogsched/testing/fake_node_context.h
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/fogsched/testing)
install(FILES ${PROJECT_BINARY_DIR}/core/include/fogsched/version.h
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/fogsched)
install(FILES
    policies/include/fogsched/policies/policy_definition.h
    policies/include/fogsched/policies/registration.h
    policies/include/fogsched/policies/registry.h
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/fogsched/policies)

install(EXPORT fogschedTargets NAMESPACE fogsched:: DESTINATION ${FOGSCHED_CMAKE_DIR})
configure_package_config_file(cmake/fogschedConfig.cmake.in ${PROJECT_BINARY_DIR}/fogschedConfig.cmake
  INSTALL_DESTINATION ${FOGSCHED_CMAKE_DIR})
# A plugin runs only in the fogsched it was built against (its stamp says which).
write_basic_package_version_file(${PROJECT_BINARY_DIR}/fogschedConfigVersion.cmake
  COMPATIBILITY ExactVersion)
install(FILES
    ${PROJECT_BINARY_DIR}/fogschedConfig.cmake
    ${PROJECT_BINARY_DIR}/fogschedConfigVersion.cmake
    cmake/FogschedPolicy.cmake
  DESTINATION ${FOGSCHED_CMAKE_DIR})
