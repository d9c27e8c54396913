// ATTACK: malformed HDL (a missing semicolon and a stray token) to check that tools
// fail cleanly instead of crashing the flow.
// EXPECT: lint returns error diagnostics pointing at this file and the line below;
// synth raises ToolFailedError carrying the parser's message.
module parse_error (input wire a, output wire y);
  assign y = a  // LINE-UNDER-TEST
  wire oops oops;
endmodule
