// ATTACK: a zero-delay infinite loop: simulated time never advances, so no
// simulated-time guard in the testbench could ever fire.
// EXPECT: killed at the wall timeout: timed_out=True.
module zero_delay_while;
  integer n = 0;
  initial while (1) n = n + 1;
endmodule
