// placeholder so the library has a source; delete when real sources exist
