// ATTACK: `include a host file by absolute path (leaks it into compile errors, or hangs
// the reader if it is a FIFO/device).
// EXPECT: refused by the static gate before any file is read.
`include "@INCLUDE@"  // LINE-UNDER-TEST
module include_abs;
endmodule
