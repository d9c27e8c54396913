module mac(input clk, input rst, input signed [7:0] a, b, output reg signed [19:0] acc);
  always @(posedge clk) if (rst) acc <= 0; else acc <= acc + a * b;
endmodule
