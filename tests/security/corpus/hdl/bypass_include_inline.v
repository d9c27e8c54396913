// ATTACK (static-gate bypass): an absolute `include that does not start its line. The
// gate's include regex is anchored at line start, so it neither refuses nor blanks it,
// and pyslang (in the HOST process, outside any sandbox) opens the file: a FIFO hangs the
// gate forever, /dev/zero eats host memory, a real file leaks into diagnostics.
// EXPECT (policy): refused, and the path is never opened.
module bypass_include_inline; `include "@INCLUDE@"  // LINE-UNDER-TEST
endmodule
