/* A shared library built like a plugin that forgot to export the entry symbol. */
__attribute__((visibility("default"))) int relais_plugin_entry_misspelled(void) { return 0; }
