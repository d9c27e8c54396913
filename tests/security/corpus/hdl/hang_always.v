// ATTACK: a testbench that never calls $finish: a free-running clock keeps simulated
// time advancing forever.
// EXPECT: killed at the wall timeout: SimResult(passed=False, timed_out=True).
module hang_always;
  reg x = 1'b0;
  always #1 x = ~x;
endmodule
