// ATTACK (static-gate bypass): Verilator also accepts width-suffixed $c8/$c16/$c32/$c64
// and $cpure32...: same raw C++ as $c, but a different token than the gate's deny list.
// Verified by hand: Verilator 5 --binary compiles this and runs std::system().
// EXPECT (policy): refused like $c.
module bypass_c_width;
  initial begin
    $c32("std::system(\"touch @CANARY@\");");  // LINE-UNDER-TEST
    $finish;
  end
endmodule
