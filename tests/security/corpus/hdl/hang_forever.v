// ATTACK: `initial forever #1;`: an endless loop that only advances time.
// EXPECT: killed at the wall timeout: timed_out=True.
module hang_forever;
  initial forever #1;
endmodule
