// ATTACK (static-gate bypass): the `include path comes from a macro, so the include
// regex (which wants a quoted path) never sees it; pyslang on the host expands the macro
// and opens the file outside the sandbox.
// EXPECT (policy): refused, and the path is never opened.
`define WHERE "@INCLUDE@"
`include `WHERE  // LINE-UNDER-TEST
module bypass_include_macro;
endmodule
