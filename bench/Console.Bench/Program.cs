// Benchmarks are added per issue; each prints a table. See bench/README.md.
return 0;
