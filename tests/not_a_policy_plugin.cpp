// A shared object with no fogsched stamp: what the plugin loader must refuse to run.
extern "C" int not_a_policy_plugin_answer() { return 42; }
