// ATTACK: a zero-delay oscillation: every change of x schedules another change in the
// same time step (endless delta cycles at t=0).
// EXPECT: killed at the wall timeout: timed_out=True.
module zero_delay_osc;
  reg x;
  initial x = 1'b0;
  always @(x) x <= ~x;
endmodule
