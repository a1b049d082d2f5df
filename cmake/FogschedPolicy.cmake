# fogsched_add_policy(NAME source...): the policy plugin NAME.so, built from its
# sources against the fogsched libraries of the program that will load it
# (`fogsched run --plugin NAME.so`, `fogsched.load_plugin`). Its policies register
# with FOGSCHED_REGISTER_POLICY (fogsched/policies/policy_definition.h).
#
# One home for how a plugin is built: the project's own test plugins and an
# installed fogsched's CMake package both use this file.
function(fogsched_add_policy name)
  if(NOT ARGN)
    message(FATAL_ERROR "fogsched_add_policy(${name}): give the policy's source files")
  endif()
  add_library(${name} MODULE ${ARGN})
  target_link_libraries(${name} PRIVATE fogsched::policies)
  target_compile_features(${name} PRIVATE cxx_std_20)
  # Nothing of a plugin is looked up by name but the loader's stamp, which is data.
  set_target_properties(${name} PROPERTIES
    PREFIX ""
    CXX_EXTENSIONS OFF
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
endfunction()
