module bad(input clk, input [3:0] a, output [7:0] y);
  wire [2:0] narrow;
  assign narrow = a;
  assign y = a + undeclared_sig;
  always @(posedge clk) begin
    y2 <= a
  end
endmodule
